import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, CreateIntent, get, Page, Problem } from '../api';
import type { JSX } from 'preact';
import { Modal } from '../Modal';
import { can } from '../session';
import { addressList, Client, mailbox, reportContacts } from './ClientsModel';
import { Specimen } from './SpecimensLifecycle';

/** Where the API's messages for each field of POST /specimens are shown (tests_requested[i] at the tests). */
const FIELDS = ['client_id', 'client_ref', 'type', 'tests_requested', 'collected_at', 'priority', 'report_recipients'];
const fieldOf = (name: string) => name.replace(/\[\d+\]$/, '');

/** "Register specimen": the API checks every field; its 400 is shown at the field it names. */
export function SpecimensRegister({ onClose, onRegistered }: { onClose: () => void; onRegistered: (id: string) => void }) {
  const clientRef = useSignal('');
  const type = useSignal('');
  const tests = useSignal('');
  const collectedAt = useSignal('');
  const priority = useSignal('normal');
  const clientId = useSignal('');
  const recipients = useSignal('');
  const clients = useClientChoice();
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);
  const intent = useRef(new CreateIntent()).current;

  async function submit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    problem.value = null;
    try {
      const specimen = await call<Specimen>('POST', '/api/v1/specimens', {
        client_ref: clientRef.value.trim(),
        type: type.value.trim(),
        tests_requested: typedTests(),
        collected_at: collectedAt.value ? new Date(collectedAt.value).toISOString() : undefined,
        priority: priority.value,
        client_id: clientId.value || undefined,
        report_recipients: typedRecipients().length ? typedRecipients() : undefined,
      }, { idempotencyKey: intent.current });
      onRegistered(specimen.id);
    } catch (failure) {
      intent.answered(failure);
      problem.value = failure instanceof Problem ? failure : new Problem(0, `The server did not answer; registering again is safe (it will not register twice). ${failure}`);
    } finally {
      busy.value = false;
    }
  }

  // A list's item is named by its index (tests_requested[1]): the message quotes the item.
  const typedTests = () => tests.value.split(/[\s,;]+/).filter(Boolean);
  const typedRecipients = () => addressList(recipients.value);
  const messageAt = (name: string) =>
    problem.value?.errors
      .filter((e) => fieldOf(e.field) === name)
      .map((e) => {
        const index = /\[(\d+)\]$/.exec(e.field);
        const typed = name === 'report_recipients' ? typedRecipients() : typedTests();
        return index ? `“${typed[Number(index[1])] ?? e.field}”: ${e.message}` : e.message;
      })
      .join(' ') || undefined;
  const chosen = clients.rows.value.find((c) => c.code === clientId.value);
  const goesTo = chosen ? reportContacts(chosen).map(mailbox).join(', ') : '';

  const field = (name: string, label: string, input: (attrs: Record<string, unknown>) => JSX.Element, hint?: string) => {
    const id = `register-${name.replace(/_/g, '-')}`;
    const message = messageAt(name);
    const described = [message && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined;
    return (
      <div class="field">
        <label for={id}>{label}</label>
        {input({ id, name, 'aria-invalid': message ? true : undefined, 'aria-describedby': described })}
        {hint && (
          <p id={`${id}-hint`} class="hint">
            {hint}
          </p>
        )}
        {message && (
          <p id={`${id}-error`} class="field-error">
            {message}
          </p>
        )}
      </div>
    );
  };
  const text = (value: { value: string }) => (attrs: Record<string, unknown>) => (
    <input {...attrs} value={value.value} onInput={(e) => (value.value = e.currentTarget.value)} autoComplete="off" />
  );

  const unplaced = problem.value && (problem.value.errors.length === 0 || problem.value.errors.some((e) => !FIELDS.includes(fieldOf(e.field))));
  return (
    <Modal title="Register specimen" onClose={onClose}>
      <form onSubmit={submit} noValidate class="register-form">
        {clients.offered &&
          field(
            'client_id',
            'Client',
            (attrs) => (
              <div class="client-choice">
                <select {...attrs} value={clientId.value} onChange={(e) => (clientId.value = e.currentTarget.value)}>
                  <option value="">No client (reports go to the recipients named below)</option>
                  {clients.rows.value.map((c) => (
                    <option key={c.code} value={c.code}>
                      {c.name} ({c.code})
                    </option>
                  ))}
                </select>
                {clients.more.value && (
                  <button type="button" onClick={() => void clients.load()}>
                    More clients
                  </button>
                )}
              </div>
            ),
            clients.error.value ?? (chosen ? (goesTo ? `Its report goes to ${goesTo}.` : 'The client names nobody to get reports: name recipients below.') : undefined),
          )}
        {field('client_ref', "Client's reference", text(clientRef))}
        {field('type', 'Specimen type', text(type), 'serum, blood, urine, …')}
        {field('tests_requested', 'Tests requested', text(tests), 'Test codes, separated by commas or spaces (CBC, CRP)')}
        {field('collected_at', 'Collected at (your time, optional)', (attrs) => (
          <input {...attrs} type="datetime-local" value={collectedAt.value} onInput={(e) => (collectedAt.value = e.currentTarget.value)} />
        ))}
        {field('priority', 'Priority', (attrs) => (
          <select {...attrs} value={priority.value} onChange={(e) => (priority.value = e.currentTarget.value)}>
            <option value="urgent">Urgent</option>
            <option value="normal">Normal</option>
            <option value="low">Low</option>
          </select>
        ))}
        {field(
          'report_recipients',
          'More report recipients (optional)',
          (attrs) => <input {...attrs} type="text" inputMode="email" spellcheck={false} value={recipients.value} onInput={(e) => (recipients.value = e.currentTarget.value)} autoComplete="off" />,
          'Email addresses, separated by commas or spaces; the report goes to them as well as to the client’s report contacts',
        )}
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
            {busy.value ? 'Registering…' : 'Register'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The clients a specimen may be registered for, a page of 100 at a time ("More clients" reads the next). */
function useClientChoice() {
  const offered = can('clients.list');
  const rows = useSignal<Client[]>([]);
  const more = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  async function load() {
    try {
      const after = more.value ? `&after=${encodeURIComponent(more.value)}` : '';
      const page = await get<Page<Client>>(`/api/v1/clients?limit=100${after}`);
      rows.value = [...rows.value, ...page.items];
      more.value = page.next_cursor;
    } catch (f) {
      error.value = `The clients could not be read (${f instanceof Error ? f.message : f}); register without one or try again.`;
    }
  }
  useEffect(() => {
    if (offered) void load();
  }, []);
  return { offered, rows, more, error, load };
}
