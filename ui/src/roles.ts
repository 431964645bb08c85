// Which screens each role sees. What a user may do on them is not decided here: buttons ask
// session.can(capability), which the server answers from its own role checks (GET /api/v1/me).
// A screen that only shows what some routes answer names them as capabilities: it is in the
// navigation when the user may use at least one, so a role change on the server moves it too.

export type Role = 'admin' | 'technician' | 'reviewer' | 'scientist' | 'viewer' | 'instrument';

const LAB_STAFF: Role[] = ['admin', 'technician', 'reviewer', 'scientist', 'viewer'];

export interface Screen {
  path: string;
  label: string;
  roles: Role[];
  /** Shown only when /me grants at least one of these (the screen is those routes and nothing else). */
  capabilities?: string[];
}

export const SCREENS: Screen[] = [
  { path: '/lab-tests', label: 'Lab tests', roles: LAB_STAFF },
  { path: '/specimens', label: 'Specimens', roles: LAB_STAFF },
  { path: '/devices', label: 'Devices', roles: LAB_STAFF },
  { path: '/workflows', label: 'Workflows', roles: LAB_STAFF },
  // Alarms are read by every role that reads devices (GET /alarms answers them as GET /devices does).
  { path: '/alarms', label: 'Alarms', roles: LAB_STAFF },
  { path: '/clients', label: 'Clients', roles: LAB_STAFF, capabilities: ['clients.list'] },
  { path: '/operations', label: 'Operations', roles: ['admin', 'technician', 'reviewer'], capabilities: ['reports.jobs', 'deliveries.list'] },
  { path: '/admin', label: 'Administration', roles: ['admin'] },
];

export function allowed(userRoles: readonly string[], needed: readonly Role[]): boolean {
  return needed.some((r) => userRoles.includes(r));
}

/** The screens of these roles; `can` (GET /me's map), when given, also drops a screen none of whose capabilities is granted. */
export function screensFor(userRoles: readonly string[], can?: Record<string, boolean>): Screen[] {
  return SCREENS.filter((s) => allowed(userRoles, s.roles) && (!can || !s.capabilities || s.capabilities.some((c) => can[c] === true)));
}
