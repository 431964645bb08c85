import { signal } from '@preact/signals';
import * as api from './api';
import * as events from './events';

export interface User {
  username: string;
  roles: string[];
  /** Capability → whether the API lets this user take it (GET /api/v1/me, read from the server's own role checks). */
  can: Record<string, boolean>;
  /** The client a viewer is linked to (it sees that client's specimens, reports and record only); null for everyone else. */
  client_id?: string | null;
}

/** The signed-in user; null shows the login screen; undefined while the page restores a session. */
export const user = signal<User | null | undefined>(undefined);

api.whenSignedOut(() => {
  events.stop();
  user.value = null;
});

async function loadUser(): Promise<void> {
  user.value = await api.get<User>('/api/v1/me');
  events.start(); // live changes for every screen while signed in
}

/** On page load: a refresh cookie from an earlier login signs the user in again without a password. */
export async function restore(): Promise<void> {
  // A node that is restarting answers nothing for a moment: ask again (1, 2, 4 s) before
  // deciding there is no session.
  for (let attempt = 0; ; attempt++) {
    const refreshed = await api.refresh();
    if (refreshed === 'renewed') {
      await loadUser().catch(() => (user.value = null));
      return;
    }
    if (refreshed === 'refused' || attempt === 3) {
      user.value = null;
      return;
    }
    await new Promise((resume) => setTimeout(resume, 1000 * 2 ** attempt));
  }
}

export async function signIn(username: string, password: string): Promise<void> {
  await api.login(username, password);
  await loadUser();
}

export async function signOut(): Promise<void> {
  events.stop();
  await api.logout();
  user.value = null;
}

/**
 * Whether the signed-in user may take an action, by its capability name (`lab_tests.create`,
 * `devices.book`, `specimens.approve`, ...): a button is shown only when this is true, so the
 * UI never offers what the API would refuse for the user's role.
 */
export function can(capability: string): boolean {
  return user.value?.can?.[capability] === true;
}
