import { useSignal } from '@preact/signals';
import { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { call, CreateIntent, get, Page, Problem } from '../api';
import { onChange } from '../events';
import { instant } from '../format';
import { Modal } from '../Modal';
import { can } from '../session';
import { ActionKind, actionFieldOf, blankForm, definitionOf, formOf, LabTest, LabTestForm, Preview, recipientsOf, scheduleOf, wallClock } from './LabTestsModel';

const BROWSER_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const ZONES: string[] = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
const PREVIEW_DELAY_MS = 350;
const PREVIEW_ATTEMPTS = 3;
const PREVIEW_RETRY_MS = 2000;

const KINDS: Record<ActionKind, string> = {
  http: 'HTTP call',
  workflow: 'Workflow on a device',
  analysis: 'Analysis pipeline',
};

const MISFIRE: Record<string, string> = {
  fire_once: 'Fire once, late, then go on from now',
  fire_all: 'Fire every missed run, in order',
  skip: 'Skip runs more than a minute late',
};

/**
 * "Create test" and "Edit" (the same form): the API checks every field and its 400 is shown at
 * the field it names. The schedule is read by the server as the user types (POST
 * /lab-tests/preview, the scheduler's own parse and daylight-saving rules): its words and next
 * five runs, or its message at the schedule field, before anything is saved.
 */
export function CreateLabTest({ existing, onClose, onSaved }: { existing?: LabTest; onClose: () => void; onSaved: (test: LabTest) => void }) {
  const form = useSignal<LabTestForm>(existing ? formOf(existing, BROWSER_ZONE) : blankForm(BROWSER_ZONE));
  const errors = useSignal<Record<string, string>>({});
  const summary = useSignal<string | null>(null);
  const preview = useSignal<Preview | null>(null);
  const previewNote = useSignal<string | null>(null);
  const busy = useSignal(false);
  const intent = useRef(new CreateIntent()).current;
  /** In edit mode: someone else changed or deleted the test while this form was open. */
  const changedMeanwhile = useSignal<'edited' | 'deleted' | null>(null);
  const devices = useSignal<{ id: string; name: string }[]>([]);
  const box = useRef<HTMLFormElement>(null);
  const f = form.value;

  const set = (patch: Partial<LabTestForm>, fields: string[]) => {
    form.value = { ...form.value, ...patch };
    // A field the user changes no longer shows the message about its old value.
    const left = { ...errors.value };
    fields.forEach((name) => delete left[name]);
    errors.value = left;
  };

  // The server's reading of the schedule, a moment after the user stops typing.
  const seq = useRef(0);
  useEffect(() => {
    if (!can('lab_tests.preview')) return;
    const mine = ++seq.current;
    previewNote.value = null;
    const schedule = scheduleOf(f);
    if ('field' in schedule) {
      preview.value = null;
      errors.value = { ...withoutSchedule(errors.value), [schedule.field]: schedule.message };
      return;
    }
    if ((f.once && !f.at) || (!f.once && !f.cron.trim())) {
      preview.value = null;
      return;
    }
    const timer = setTimeout(async () => {
      // A failure that says nothing about the schedule (the node busy, the network) is tried
      // again a few times; a 400 is the answer and is shown at its field.
      for (let attempt = 1; ; attempt++) {
        try {
          const answer = await call<Preview>('POST', '/api/v1/lab-tests/preview', schedule);
          if (mine !== seq.current) return;
          preview.value = answer;
          previewNote.value = null;
          errors.value = withoutSchedule(errors.value);
          return;
        } catch (failure) {
          if (mine !== seq.current) return;
          preview.value = null;
          if (failure instanceof Problem && failure.errors.length) {
            previewNote.value = null;
            errors.value = { ...withoutSchedule(errors.value), ...placed(failure, f) };
            return;
          }
          const why = failure instanceof Problem ? failure.detail : 'the server could not be reached';
          previewNote.value = attempt < PREVIEW_ATTEMPTS ? `The schedule could not be read just now (${why}); trying again…` : `The schedule could not be read: ${why}.`;
          if (attempt >= PREVIEW_ATTEMPTS) return;
          await new Promise((resume) => setTimeout(resume, PREVIEW_RETRY_MS));
          if (mine !== seq.current) return;
        }
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [f.once, f.at, f.cron, f.timezone]);

  // A workflow runs on a device: offer the lab's devices (one page) as suggestions.
  useEffect(() => {
    if (f.kind !== 'workflow' || devices.value.length) return;
    get<Page<{ id: string; name: string }>>('/api/v1/devices?limit=100')
      .then((page) => (devices.value = page.items))
      .catch(() => undefined);
  }, [f.kind]);

  // Editing: a change by someone else is shown, so the form never overwrites what the user did not see.
  useEffect(() => {
    if (!existing) return;
    return onChange('lab_test', (c) => {
      if (c.id !== existing.id || busy.value) return;
      if (c.type === 'lab_test.deleted') changedMeanwhile.value = 'deleted';
      else if (c.type === 'lab_test.edited') changedMeanwhile.value = 'edited';
    });
  }, []);

  async function reloadTheirs() {
    if (!existing) return;
    try {
      form.value = formOf(await get<LabTest>(`/api/v1/lab-tests/${existing.id}`), BROWSER_ZONE);
      changedMeanwhile.value = null;
      errors.value = {};
    } catch (failure) {
      summary.value = failure instanceof Error ? failure.message : String(failure);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    summary.value = null;
    const definition = definitionOf(form.value);
    if ('problems' in definition) {
      errors.value = Object.fromEntries(definition.problems.map((p) => [p.field, p.message]));
      focusFirstError();
      return;
    }
    busy.value = true;
    try {
      const saved = existing
        ? await call<LabTest>('PUT', `/api/v1/lab-tests/${existing.id}`, definition.body)
        : await call<LabTest>('POST', '/api/v1/lab-tests', definition.body, { idempotencyKey: intent.current });
      onSaved(saved);
    } catch (failure) {
      intent.answered(failure);
      if (!(failure instanceof Problem)) {
        summary.value = existing
          ? 'The server did not answer; the change may or may not have been saved. Saving again is safe.'
          : 'The server did not answer; the test may or may not have been created. Creating again is safe: it will not make a second one.';
      } else if (failure.status === 409) {
        summary.value = `Not saved: ${failure.detail}`;
      } else {
        const at = placed(failure, form.value);
        errors.value = at;
        const elsewhere = failure.errors.filter((p) => !FIELD_IDS.has(fieldOf(p.field, p.message, form.value)) && !p.field.startsWith('recipients['));
        summary.value = elsewhere.length || failure.errors.length === 0 ? [failure.detail, ...elsewhere.map((p) => `${p.field}: ${p.message}`)].join(' — ') : failure.detail;
        focusFirstError();
      }
    } finally {
      busy.value = false;
    }
  }

  function focusFirstError() {
    queueMicrotask(() => box.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
  }

  /** One labelled control with its message (from the API) and hint. */
  const field = (name: string, label: string, control: (props: ControlProps) => ComponentChildren, hint?: string) => {
    const id = `f-${name.replace(/\./g, '-')}`;
    const message = errors.value[name];
    const describedBy = [message && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined;
    return (
      <div class="field" key={name}>
        <label for={id}>{label}</label>
        {control({ id, name, 'aria-invalid': message ? true : undefined, 'aria-describedby': describedBy })}
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
  const text = (name: string, label: string, key: keyof LabTestForm, attrs: Record<string, unknown> = {}, hint?: string) =>
    field(
      name,
      label,
      (p) => <input {...p} {...attrs} value={String(f[key])} onInput={(e) => set({ [key]: e.currentTarget.value }, related(name))} />,
      hint,
    );
  const choice = (name: string, label: string, key: keyof LabTestForm, options: Record<string, string>) =>
    field(name, label, (p) => (
      <select {...p} value={String(f[key])} onChange={(e) => set({ [key]: e.currentTarget.value }, [name])}>
        {Object.entries(options).map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
    ));
  const lines = (name: string, label: string, key: keyof LabTestForm, hint: string) =>
    field(name, label, (p) => <textarea {...p} rows={3} value={String(f[key])} onInput={(e) => set({ [key]: e.currentTarget.value }, [name])} />, hint);

  const zone = f.timezone.trim() || BROWSER_ZONE;
  return (
    <Modal title={existing ? `Edit ${existing.title}` : 'Create lab test'} onClose={onClose}>
      <form class="lab-test-form" ref={box} onSubmit={submit} noValidate>
        {changedMeanwhile.value && (
          <div class="notice" role="alert">
            {changedMeanwhile.value === 'deleted' ? (
              <p>This lab test was deleted while you were editing it; it can no longer be saved.</p>
            ) : (
              <>
                <p>Someone else changed this lab test while you were editing it. Saving would replace their change with yours.</p>
                <button type="button" onClick={() => void reloadTheirs()}>
                  Show their version
                </button>
              </>
            )}
          </div>
        )}
        {text('title', 'Title', 'title', { required: true, maxLength: 200, autoComplete: 'off' })}
        <div class="pair">
          {text('type', 'Type', 'type', { maxLength: 64, placeholder: 'calibration' })}
          {text('experiment', 'Experiment', 'experiment', { maxLength: 200, placeholder: 'EXP-2026-041' })}
        </div>

        <fieldset>
          <legend>When</legend>
          <div class="choices">
            <label class="choice">
              <input type="radio" name="when" checked={f.once} onChange={() => set({ once: true }, SCHEDULE_FIELDS)} /> Once
            </label>
            <label class="choice">
              <input type="radio" name="when" checked={!f.once} onChange={() => set({ once: false }, SCHEDULE_FIELDS)} /> Repeating (cron)
            </label>
          </div>
          {f.once
            ? text('schedule.at', `Date and time (${zone})`, 'at', { type: 'datetime-local', step: 1 })
            : text('schedule.cron', 'Cron expression', 'cron', { autoComplete: 'off', spellcheck: false, autoCapitalize: 'none' },
                'Quartz: second minute hour day-of-month month day-of-week [year], e.g. 0 0 6 * * ? (every day at 06:00)')}
          {text('schedule.timezone', 'Time zone', 'timezone', { list: 'lab-test-zones', autoComplete: 'off', spellcheck: false })}
          <datalist id="lab-test-zones">
            {ZONES.map((z) => (
              <option key={z} value={z} />
            ))}
          </datalist>
          <SchedulePreview preview={preview.value} note={previewNote.value} hidden={!can('lab_tests.preview')} />
        </fieldset>

        <fieldset>
          <legend>Action</legend>
          {choice('action.kind', 'What runs', 'kind', KINDS)}
          {f.kind === 'http' && (
            <>
              {text('action.url', 'URL to call', 'url', { type: 'url', placeholder: 'https://', autoComplete: 'off' })}
              <div class="pair">
                {choice('action.method', 'Method', 'method', { POST: 'POST', PUT: 'PUT', GET: 'GET' })}
                {text('action.expected_status', 'Expected status', 'expectedStatus', { inputMode: 'numeric', placeholder: '200' })}
              </div>
              {text('action.timeout_ms', 'Time-out (ms)', 'timeoutMs', { inputMode: 'numeric', placeholder: '10000' })}
            </>
          )}
          {f.kind === 'workflow' && (
            <>
              {text('action.device_id', 'Device', 'deviceId', { list: 'lab-test-devices', autoComplete: 'off', spellcheck: false })}
              <datalist id="lab-test-devices">
                {devices.value.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </datalist>
              {lines('action.steps', 'Steps', 'steps', 'One operation per line (read_absorbance), or {"operation": …, "parameters": {…}}')}
              <div class="pair">
                {choice('action.priority', 'Priority', 'priority', { urgent: 'Urgent', normal: 'Normal', low: 'Low' })}
                <div class="field">
                  <label class="choice">
                    <input type="checkbox" name="action.queue" checked={f.queue} onChange={(e) => set({ queue: e.currentTarget.checked }, ['action.queue'])} />
                    Queue when the device is busy
                  </label>
                  {errors.value['action.queue'] && <p class="field-error">{errors.value['action.queue']}</p>}
                </div>
              </div>
            </>
          )}
          {f.kind === 'analysis' && (
            <>
              {text('action.pipeline', 'Pipeline', 'pipeline', { autoComplete: 'off', spellcheck: false })}
              {lines('action.parameters', 'Parameters', 'parameters', 'One name=value per line')}
            </>
          )}
        </fieldset>

        {text('recipients', 'Report recipients', 'recipients', { autoComplete: 'off', placeholder: 'lab.manager@example.org, qa@example.org' }, 'E-mail addresses, separated by commas')}
        <div class="pair">
          {text('max_retries', 'Retries after a failed attempt', 'maxRetries', { type: 'number', min: 0, max: 20, inputMode: 'numeric' },
            "0–20; each waits longer than the one before (the node's retry back-off)")}
          {choice('misfire_policy', 'Runs missed while the lab was down', 'misfirePolicy', MISFIRE)}
        </div>
        {summary.value && (
          <p class="error" role="alert">
            {summary.value}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy.value || changedMeanwhile.value === 'deleted'}>
            {busy.value ? 'Saving…' : existing ? 'Save' : 'Create'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The server's words for the schedule and its next five runs (wall-clock in the schedule's zone; the user's own time beside it). */
function SchedulePreview({ preview, note, hidden }: { preview: Preview | null; note: string | null; hidden: boolean }) {
  if (hidden) return null;
  return (
    <div class="preview" aria-live="polite" data-preview>
      {preview ? (
        <>
          <p class="reading">
            <span class="muted">Runs </span>
            <strong>{preview.schedule.description}</strong>
          </p>
          <p class="muted">{preview.next_fires.length === 1 ? 'Its run:' : `Next ${preview.next_fires.length} runs:`}</p>
          <ol class="fires">
            {preview.next_fires.map((fire) => (
              <li key={fire.at}>
                <time dateTime={fire.at}>{preview.schedule.cron ? wallClock(fire.local_time) : instant(fire.at)}</time>
                {preview.schedule.cron && <span class="muted your-time">your time: {instant(fire.at)}</span>}
              </li>
            ))}
          </ol>
        </>
      ) : (
        <p class="muted">{note ?? 'The schedule in words and its next runs show here as you type.'}</p>
      )}
    </div>
  );
}

interface ControlProps {
  id: string;
  name: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

const SCHEDULE_FIELDS = ['schedule', 'schedule.at', 'schedule.cron', 'schedule.timezone'];

/** The fields whose message no longer holds when this one changes: the schedule's fields go together. */
function related(name: string): string[] {
  return name.startsWith('schedule') ? SCHEDULE_FIELDS : [name];
}

function withoutSchedule(errors: Record<string, string>): Record<string, string> {
  const left = { ...errors };
  SCHEDULE_FIELDS.forEach((n) => delete left[n]);
  return left;
}

/** The form field a problem of the API belongs at. */
function fieldOf(field: string, message: string, form: LabTestForm): string {
  if (field === 'action') return actionFieldOf(message, form.kind);
  if (field === 'schedule') return form.once ? 'schedule.at' : 'schedule.cron';
  return field;
}

/** The API's problems by the form field each belongs at (the first message when two land on one field). */
function placed(problem: Problem, form: LabTestForm): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problem.errors) {
    // "recipients[1]": the address is named, since the user typed a list, not items.
    const item = /^recipients\[(\d+)\]$/.exec(p.field);
    if (item) out.recipients ??= `“${recipientsOf(form)[Number(item[1])] ?? ''}” ${p.message}`;
    else out[fieldOf(p.field, p.message, form)] ??= p.message;
  }
  return out;
}

/** The fields this form shows (a problem elsewhere goes to the summary under the buttons). */
const FIELD_IDS = new Set([
  'title',
  'type',
  'experiment',
  'recipients',
  'max_retries',
  'misfire_policy',
  ...SCHEDULE_FIELDS,
  'action.kind',
  'action.url',
  'action.method',
  'action.expected_status',
  'action.timeout_ms',
  'action.device_id',
  'action.steps',
  'action.queue',
  'action.priority',
  'action.pipeline',
  'action.parameters',
]);
