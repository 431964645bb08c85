import { useSignal } from '@preact/signals';
import { useRef } from 'preact/hooks';
import { call, CreateIntent, Problem } from '../api';
import type { JSX } from 'preact';
import { Modal } from '../Modal';
import { Specimen } from './SpecimensLifecycle';

/** Where the API's messages for each field of POST /specimens are shown (tests_requested[i] at the tests). */
const FIELDS = ['client_ref', 'type', 'tests_requested', 'collected_at', 'priority'];
const fieldOf = (name: string) => name.replace(/\[\d+\]$/, '');

/** "Register specimen": the API checks every field; its 400 is shown at the field it names. */
export function SpecimensRegister({ onClose, onRegistered }: { onClose: () => void; onRegistered: (id: string) => void }) {
  const clientRef = useSignal('');
  const type = useSignal('');
  const tests = useSignal('');
  const collectedAt = useSignal('');
  const priority = useSignal('normal');
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
  const messageAt = (name: string) =>
    problem.value?.errors
      .filter((e) => fieldOf(e.field) === name)
      .map((e) => {
        const index = /\[(\d+)\]$/.exec(e.field);
        return index ? `“${typedTests()[Number(index[1])] ?? e.field}”: ${e.message}` : e.message;
      })
      .join(' ') || undefined;

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
        {field('client_ref', 'Client reference', text(clientRef))}
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
