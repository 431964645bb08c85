import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import { call, CreateIntent, Problem } from '../api';
import { TextField } from '../components/TextField';
import { Modal } from '../Modal';
import { ROLE_PURPOSE, UserRow } from './Admin';

/** "Create user": a name, a first password and at least one role; the API's 400 shows at the field it names. */
export function CreateUser({ onClose, onCreated }: { onClose: () => void; onCreated: (u: UserRow) => void }) {
  const username = useSignal('');
  const password = useSignal('');
  const roles = useSignal<string[]>([]);
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);
  const intent = useRef(new CreateIntent()).current;

  async function submit(e: Event) {
    e.preventDefault();
    busy.value = true;
    problem.value = null;
    try {
      onCreated(await call<UserRow>('POST', '/api/v1/users', { username: username.value.trim(), password: password.value, roles: roles.value }, { idempotencyKey: intent.current }));
    } catch (failure) {
      intent.answered(failure);
      const p = failure instanceof Problem ? failure : new Problem(0, String(failure));
      // A name taken is a conflict, not a field error in the API's terms; it belongs at the name all the same.
      problem.value = p.status === 409 ? new Problem(409, p.detail, [{ field: 'username', message: `${p.detail}: choose another name.` }]) : p;
    } finally {
      busy.value = false;
    }
  }

  const at = (field: string) => problem.value?.at(field);
  const rolesError = at('roles') ?? problem.value?.errors.find((e) => e.field.startsWith('roles['))?.message;
  const unplaced = problem.value && (problem.value.errors.length === 0 || problem.value.errors.some((e) => !/^(username|password|roles(\[\d+\])?)$/.test(e.field)));
  return (
    <Modal title="Create user" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <TextField
          name="username"
          label="User name"
          hint="2-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter"
          value={username.value}
          onValue={(v) => (username.value = v)}
          error={at('username')}
          autoComplete="off"
          autoCapitalize="none"
          spellcheck={false}
          required
        />
        <TextField
          name="password"
          label="First password"
          hint="at least 12 characters; give it to the user in person"
          type="password"
          value={password.value}
          onValue={(v) => (password.value = v)}
          error={at('password')}
          autoComplete="new-password"
          required
        />
        <fieldset class="admin-role-choice" aria-describedby={rolesError ? 'f-roles-error' : undefined}>
          <legend>Roles</legend>
          {Object.entries(ROLE_PURPOSE).map(([role, purpose]) => (
            <label key={role} class="choice">
              <input
                type="checkbox"
                name="roles"
                value={role}
                checked={roles.value.includes(role)}
                onChange={(e) => (roles.value = e.currentTarget.checked ? [...roles.value, role] : roles.value.filter((r) => r !== role))}
              />
              <span>
                <strong>{role}</strong> <span class="admin-purpose">{purpose}</span>
              </span>
            </label>
          ))}
          {rolesError && (
            <p id="f-roles-error" class="field-error">
              {rolesError}
            </p>
          )}
        </fieldset>
        {unplaced && (
          <p class="error" role="alert">
            {problem.value!.detail}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy.value}>
            {busy.value ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
