// Which screens each role sees. What a user may do on them is not decided here: buttons ask
// session.can(capability), which the server answers from its own role checks (GET /api/v1/me).

export type Role = 'admin' | 'technician' | 'reviewer' | 'scientist' | 'viewer' | 'instrument';

const LAB_STAFF: Role[] = ['admin', 'technician', 'reviewer', 'scientist', 'viewer'];

export interface Screen {
  path: string;
  label: string;
  roles: Role[];
}

export const SCREENS: Screen[] = [
  { path: '/lab-tests', label: 'Lab tests', roles: LAB_STAFF },
  { path: '/specimens', label: 'Specimens', roles: LAB_STAFF },
  { path: '/devices', label: 'Devices', roles: LAB_STAFF },
  { path: '/workflows', label: 'Workflows', roles: LAB_STAFF },
  { path: '/admin', label: 'Administration', roles: ['admin'] },
];

export function allowed(userRoles: readonly string[], needed: readonly Role[]): boolean {
  return needed.some((r) => userRoles.includes(r));
}

export function screensFor(userRoles: readonly string[]): Screen[] {
  return SCREENS.filter((s) => allowed(userRoles, s.roles));
}
