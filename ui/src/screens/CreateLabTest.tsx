import { useSignal } from '@preact/signals';
import { call, Problem } from '../api';
import { Modal } from '../Modal';

/** "Create test": the API checks every field; its 400 is shown at the field it names. */
export function CreateLabTest({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const title = useSignal('');
  const type = useSignal('');
  const experiment = useSignal('');
  const once = useSignal(true);
  const at = useSignal('');
  const cron = useSignal('0 0 6 * * ?');
  const timezone = useSignal(Intl.DateTimeFormat().resolvedOptions().timeZone);
  const url = useSignal('');
  const recipients = useSignal('');
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);

  async function submit(e: Event) {
    e.preventDefault();
    busy.value = true;
    problem.value = null;
    const optional = (s: string) => (s.trim() ? s.trim() : undefined);
    try {
      await call('POST', '/api/v1/lab-tests', {
        title: title.value.trim(),
        type: optional(type.value),
        experiment: optional(experiment.value),
        recipients: recipients.value.split(/[\s,;]+/).filter(Boolean),
        schedule: once.value
          ? { at: at.value ? new Date(at.value).toISOString() : '' }
          : { cron: cron.value.trim(), timezone: timezone.value.trim() },
        action: { kind: 'http', url: url.value.trim() },
      });
      onCreated();
    } catch (failure) {
      problem.value = failure instanceof Problem ? failure : new Problem(0, String(failure));
    } finally {
      busy.value = false;
    }
  }

  const field = (name: string, label: string, value: { value: string }, attrs: Record<string, unknown> = {}) => {
    // An action's problems are named "action" (its parameters are checked together): shown at the URL.
    const message = problem.value?.at(name) ?? (name === 'action.url' ? problem.value?.at('action') : undefined);
    const id = `f-${name.replace(/\./g, '-')}`;
    return (
      <div class="field">
        <label for={id}>{label}</label>
        <input
          id={id}
          name={name}
          value={value.value}
          onInput={(e) => (value.value = e.currentTarget.value)}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${id}-error` : undefined}
          {...attrs}
        />
        {message && (
          <p id={`${id}-error`} class="field-error">
            {message}
          </p>
        )}
      </div>
    );
  };

  const unplaced = problem.value && (problem.value.errors.length === 0 || problem.value.errors.some((e) => !FIELDS.includes(e.field)));
  return (
    <Modal title="Create lab test" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {field('title', 'Title', title, { required: true, maxLength: 200 })}
        {field('type', 'Type', type, { maxLength: 64 })}
        {field('experiment', 'Experiment', experiment, { maxLength: 200 })}
        <fieldset>
          <legend>When</legend>
          <label class="choice">
            <input type="radio" name="when" checked={once.value} onChange={() => (once.value = true)} /> Once
          </label>
          <label class="choice">
            <input type="radio" name="when" checked={!once.value} onChange={() => (once.value = false)} /> Repeating (cron)
          </label>
        </fieldset>
        {once.value
          ? field('schedule.at', 'Date and time (your time)', at, { type: 'datetime-local' })
          : [field('schedule.cron', 'Cron (Quartz: seconds minutes hours day month weekday)', cron), field('schedule.timezone', 'Time zone', timezone)]}
        {field('action.url', 'Call this URL (HTTP POST)', url, { type: 'url', placeholder: 'https://' })}
        {field('recipients', 'Report recipients (e-mail addresses)', recipients)}
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

const FIELDS = ['title', 'type', 'experiment', 'schedule.at', 'schedule.cron', 'schedule.timezone', 'action', 'action.url', 'recipients'];
