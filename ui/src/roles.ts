// What each role may see and do in the UI. It mirrors the API's role checks (the endpoint
// table in http-api): the UI never offers an action the API would refuse for the role.

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

/** Roles that may create, edit, pause, resume, run and delete lab tests (LabTestRoutes.PLAN). */
export const PLAN_LAB_TESTS: Role[] = ['admin', 'scientist', 'technician'];

export function allowed(userRoles: readonly string[], needed: readonly Role[]): boolean {
  return needed.some((r) => userRoles.includes(r));
}

export function screensFor(userRoles: readonly string[]): Screen[] {
  return SCREENS.filter((s) => allowed(userRoles, s.roles));
}
