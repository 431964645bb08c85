import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import { call, CreateIntent, Problem } from '../api';
import { TextField } from '../components/TextField';
import { Modal } from '../Modal';
import { Client, clientBody, ContactDraft, contactRowOf } from './ClientsModel';

let nextKey = 1;
const draft = (c?: Partial<ContactDraft>): ContactDraft => ({ name: '', email: '', receives_reports: true, ...c, key: nextKey++ });

/**
 * "Create client" (admin) and "Edit client": code (fixed once created), name, address and the
 * contacts, each with whether reports go to it. Edit replaces them whole, as PUT does. The
 * API's 400 is shown at the field it names, a contact's at that contact's row.
 */
export function ClientForm({ client, onClose, onSaved }: { client?: Client; onClose: () => void; onSaved: (c: Client) => void }) {
  const code = useSignal(client?.code ?? '');
  const name = useSignal(client?.name ?? '');
  const address = useSignal(client?.address ?? '');
  const contacts = useSignal<ContactDraft[]>(client ? client.contacts.map((c) => draft(c)) : [draft()]);
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);
  const intent = useRef(new CreateIntent()).current;
  const list = useRef<HTMLDivElement>(null);
  const addButton = useRef<HTMLButtonElement>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    problem.value = null;
    const form = { name: name.value, address: address.value, contacts: contacts.value };
    try {
      onSaved(
        client
          ? await call<Client>('PUT', `/api/v1/clients/${encodeURIComponent(client.code)}`, clientBody(form))
          : await call<Client>('POST', '/api/v1/clients', clientBody({ ...form, code: code.value }), { idempotencyKey: intent.current }),
      );
    } catch (failure) {
      if (!client) intent.answered(failure);
      const p = failure instanceof Problem ? failure : new Problem(0, `The server did not answer; saving again is safe. ${failure}`);
      // A code taken is a conflict in the API's terms; it belongs at the code all the same.
      problem.value = p.status === 409 && !client ? new Problem(409, p.detail, [{ field: 'code', message: `${p.detail}: choose another code.` }]) : p;
    } finally {
      busy.value = false;
    }
  }

  const at = (field: string) => problem.value?.at(field);
  const rowErrors = (key: number, part: string) =>
    problem.value?.errors
      .filter((e) => {
        const row = contactRowOf(e.field, contacts.value);
        return row?.key === key && row.part === part;
      })
      .map((e) => e.message)
      .join(' ') || undefined;
  const placed = (field: string) => ['code', 'name', 'address', 'contacts'].includes(field) || contactRowOf(field, contacts.value) !== null;
  const unplaced = problem.value && (problem.value.errors.length === 0 || problem.value.errors.some((e) => !placed(e.field)));
  const change = (key: number, patch: Partial<ContactDraft>) => (contacts.value = contacts.value.map((c) => (c.key === key ? { ...c, ...patch } : c)));

  function add() {
    contacts.value = [...contacts.value, draft()];
    // The new row's name takes focus, so a keyboard user types on where they pressed.
    setTimeout(() => list.current?.querySelector<HTMLInputElement>('.contact-row:last-child input')?.focus(), 0);
  }
  function remove(key: number, index: number) {
    contacts.value = contacts.value.filter((c) => c.key !== key);
    // Focus would fall to the page with the removed button: it goes to the row now in its place, or to "Add contact".
    setTimeout(() => {
      const rows = list.current?.querySelectorAll('.contact-row');
      const row = rows && rows.length ? rows[Math.min(index, rows.length - 1)] : null;
      (row?.querySelector<HTMLInputElement>('input') ?? addButton.current)?.focus();
    }, 0);
  }

  const addressError = at('address');
  return (
    <Modal title={client ? `Edit ${client.name}` : 'Create client'} onClose={onClose}>
      <form onSubmit={submit} noValidate class="client-form">
        {client ? (
          <p class="hint">
            Code <strong>{client.code}</strong>: a client's code is fixed once created (it is on every report).
          </p>
        ) : (
          <TextField
            name="code"
            id="client-code"
            label="Client code (on every report)"
            hint="2-16 upper-case letters, digits or '-', such as ACME-LABS; fixed once created"
            value={code.value}
            onValue={(v) => (code.value = v.toUpperCase())}
            error={at('code')}
            autoComplete="off"
            autoCapitalize="characters"
            spellcheck={false}
            required
          />
        )}
        <TextField name="name" id="client-name" label="Name" value={name.value} onValue={(v) => (name.value = v)} error={at('name')} autoComplete="off" required />
        <div class="field">
          <label for="client-address">Address (optional)</label>
          <textarea
            id="client-address"
            name="address"
            rows={3}
            value={address.value}
            onInput={(e) => (address.value = e.currentTarget.value)}
            aria-invalid={addressError ? true : undefined}
            aria-describedby={addressError ? 'client-address-error' : undefined}
          />
          {addressError && (
            <p id="client-address-error" class="field-error">
              {addressError}
            </p>
          )}
        </div>
        <fieldset class="contacts-field">
          <legend>Contacts</legend>
          {at('contacts') && <p class="field-error">{at('contacts')}</p>}
          <div class="contact-list" ref={list}>
            {contacts.value.map((c, i) => {
              const nameError = rowErrors(c.key, 'name');
              const emailError = rowErrors(c.key, 'email');
              const id = `contact-${c.key}`;
              return (
                <div class="contact-row" key={c.key} role="group" aria-label={`Contact ${i + 1}`}>
                  <div class="field">
                    <label for={`${id}-name`}>Name</label>
                    <input
                      id={`${id}-name`}
                      type="text"
                      name={`contacts[${i}].name`}
                      value={c.name}
                      onInput={(e) => change(c.key, { name: e.currentTarget.value })}
                      autoComplete="off"
                      aria-invalid={nameError ? true : undefined}
                      aria-describedby={nameError ? `${id}-name-error` : undefined}
                    />
                    {nameError && (
                      <p id={`${id}-name-error`} class="field-error">
                        {nameError}
                      </p>
                    )}
                  </div>
                  <div class="field">
                    <label for={`${id}-email`}>Email</label>
                    <input
                      id={`${id}-email`}
                      type="email"
                      name={`contacts[${i}].email`}
                      value={c.email}
                      onInput={(e) => change(c.key, { email: e.currentTarget.value })}
                      autoComplete="off"
                      spellcheck={false}
                      aria-invalid={emailError ? true : undefined}
                      aria-describedby={emailError ? `${id}-email-error` : undefined}
                    />
                    {emailError && (
                      <p id={`${id}-email-error`} class="field-error">
                        {emailError}
                      </p>
                    )}
                  </div>
                  <div class="contact-row-foot">
                    <label class="choice">
                      <input type="checkbox" checked={c.receives_reports} onChange={(e) => change(c.key, { receives_reports: e.currentTarget.checked })} />
                      Gets reports
                    </label>
                    <button type="button" class="quiet remove-contact" onClick={() => remove(c.key, i)} aria-label={`Remove contact ${i + 1}${c.name ? ` (${c.name})` : ''}`}>
                      Remove
                    </button>
                  </div>
                </div>
              );
            })}
          </div>
          <button type="button" class="add-contact" ref={addButton} onClick={add}>
            Add contact
          </button>
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
            {busy.value ? 'Saving…' : client ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
