import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { instant } from '../format';
import { can } from '../session';
import { CreateUser } from './AdminCreateUser';
import './Admin.css';

/** A user as GET /api/v1/users lists it. */
export interface UserRow {
  username: string;
  roles: string[];
  created_by: string;
  created_at: string;
}

/** What each role is for in the lab (docs/domain.md, Who); what it may do exactly is the API's role checks. */
export const ROLE_PURPOSE: Record<string, string> = {
  admin: 'users, devices and their status, and every action of the others but approve',
  technician: 'intake, preparation, QC, experiments, workflows and device work, test batches, analyses, lab tests, delivery, cancel',
  scientist: 'experiments, workflows and device work, test batches, analyses, lab tests, re-experiment, re-sample',
  reviewer: 'review: approve (the only role that may), re-experiment, re-sample, cancel',
  viewer: 'reads only',
  instrument: 'adapters reporting what instruments observed: analysis outcomes, reports, delivery',
};

const PAGE_SIZE = 25;

/** Administration (admins only): the lab's users and their roles, a page at a time, new ones live. */
export function Admin(_: { rest: string }) {
  const creating = useSignal(false);
  const list = usePaged<UserRow>(`/api/v1/users?limit=${PAGE_SIZE}`, (u) => u.username);

  useEffect(
    () =>
      onChange('user', (c) => {
        if (c.type !== 'user.created' || list.rows.value.some((u) => u.username === c.id)) return;
        const row: UserRow = { username: c.id, roles: (c.roles as string[]) ?? [], created_by: String(c.created_by ?? ''), created_at: String(c.created_at ?? '') };
        list.rows.value = [row, ...list.rows.value];
      }),
    [],
  );

  return (
    <>
      <section aria-labelledby="users-heading" class="screen admin">
        <div class="screen-head">
          <h2 id="users-heading">Users</h2>
          {can('users.create') && (
            <button type="button" class="primary" onClick={() => (creating.value = true)}>
              Create user
            </button>
          )}
        </div>
        <p class="hint">A user's roles are given when the user is created; the API has no way to change them yet.</p>
        {list.error.value && (
          <p class="error" role="alert">
            {list.error.value}
          </p>
        )}
        <table class="rows">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Roles</th>
              <th scope="col">Created by</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.value.map((u) => (
              <tr key={u.username} data-user={u.username}>
                <td data-label="User" class="title">
                  {u.username}
                </td>
                <td data-label="Roles">
                  <span class="admin-roles">
                    {u.roles.map((r) => (
                      <span key={r} class="status">
                        {r}
                      </span>
                    ))}
                  </span>
                </td>
                <td data-label="Created by">{u.created_by}</td>
                <td data-label="Created">
                  <time dateTime={u.created_at}>{instant(u.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="more">
          {list.loading.value && <span role="status">Loading…</span>}
          {!list.loading.value && list.cursor.value && (
            <button type="button" onClick={() => void list.more()}>
              Show more
            </button>
          )}
        </div>
      </section>

      <section aria-labelledby="roles-heading" class="screen admin">
        <h2 id="roles-heading">Roles</h2>
        <dl class="admin-role-list">
          {Object.entries(ROLE_PURPOSE).map(([role, purpose]) => (
            <div key={role}>
              <dt>{role}</dt>
              <dd>{purpose}</dd>
            </div>
          ))}
        </dl>
      </section>

      {creating.value && (
        <CreateUser
          onClose={() => (creating.value = false)}
          onCreated={(u) => {
            creating.value = false;
            if (!list.rows.value.some((o) => o.username === u.username)) list.rows.value = [u, ...list.rows.value];
          }}
        />
      )}
    </>
  );
}
