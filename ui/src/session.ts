import { signal } from '@preact/signals';
import * as api from './api';

export interface User {
  username: string;
  roles: string[];
}

/** The signed-in user; null shows the login screen; undefined while the page restores a session. */
export const user = signal<User | null | undefined>(undefined);

api.whenSignedOut(() => {
  user.value = null;
});

async function loadUser(): Promise<void> {
  user.value = await api.get<User>('/api/v1/auth/me');
}

/** On page load: a refresh cookie from an earlier login signs the user in again without a password. */
export async function restore(): Promise<void> {
  if (await api.refresh()) {
    await loadUser().catch(() => (user.value = null));
  } else {
    user.value = null;
  }
}

export async function signIn(username: string, password: string): Promise<void> {
  await api.login(username, password);
  await loadUser();
}

export async function signOut(): Promise<void> {
  await api.logout();
  user.value = null;
}
