import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, CreateIntent, get, Page, Problem } from '../api';
import { TextField } from '../components/TextField';
import { Modal } from '../Modal';
import { parseParameters, PRIORITIES, Workflow } from './WorkflowsModel';

interface Device {
  id: string;
  name: string;
  type: string;
  status: string;
  /** The operations the device's type runs: what a step may name. */
  operations?: string[];
}

interface Specimen {
  id: string;
  barcode: string;
  state: string;
  client_ref?: string;
}

interface StepDraft {
  operation: string;
  parameters: string;
}

const DEVICE_PAGE = 100;
const MAX_SAMPLES = 96;

/**
 * "Create workflow": a device from the devices list, samples by scanned barcode (a USB scanner
 * types the code and Enter; each is looked up through the specimens API), and steps. The API
 * checks everything again; its 400 is shown at the field it names (steps[i] at step i).
 */
export function CreateWorkflow({ onClose, onCreated }: { onClose: () => void; onCreated: (w: Workflow) => void }) {
  const name = useSignal('');
  const devices = useSignal<Device[]>([]);
  const deviceCursor = useSignal<string | null>(null);
  const deviceId = useSignal('');
  const samples = useSignal<Specimen[]>([]);
  const scan = useSignal('');
  const scanMessage = useSignal<string | null>(null);
  const scanAnnouncement = useSignal('');
  const steps = useSignal<StepDraft[]>([{ operation: '', parameters: '' }]);
  const priority = useSignal('normal');
  const problem = useSignal<Problem | null>(null);
  const busy = useSignal(false);
  const intent = useRef(new CreateIntent()).current;
  const scanInput = useRef<HTMLInputElement>(null);

  async function loadDevices(after: string | null) {
    try {
      const page = await get<Page<Device>>(`/api/v1/devices?limit=${DEVICE_PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      devices.value = [...devices.value, ...page.items];
      deviceCursor.value = page.next_cursor;
    } catch (failure) {
      intent.answered(failure);
      problem.value = failure instanceof Problem ? failure : new Problem(0, `The server did not answer; creating again is safe (it will not create twice). ${failure}`);
    }
  }

  useEffect(() => {
    void loadDevices(null);
  }, []);

  const device = devices.value.find((d) => d.id === deviceId.value);

  /** A scanned (or typed) barcode: found through the specimens API and added once. */
  async function addSample() {
    const code = scan.value.trim().toUpperCase();
    scanMessage.value = null;
    if (!code) return;
    if (samples.value.some((s) => s.barcode === code)) {
      scanMessage.value = `${code} is already in this workflow.`;
      scan.value = '';
      return;
    }
    if (samples.value.length >= MAX_SAMPLES) {
      scanMessage.value = `A workflow holds at most ${MAX_SAMPLES} samples.`;
      return;
    }
    try {
      const page = await get<Page<Specimen>>(`/api/v1/specimens?q=${encodeURIComponent(code)}&limit=5`);
      const found = page.items.find((s) => s.barcode === code);
      if (!found) {
        scanMessage.value = `No specimen has the barcode ${code}.`;
        return;
      }
      if (!samples.value.some((s) => s.barcode === code)) samples.value = [...samples.value, found];
      scanAnnouncement.value = `Added ${found.barcode}, specimen ${found.id}, ${found.state}.`;
      scan.value = '';
    } catch (failure) {
      scanMessage.value = failure instanceof Problem ? failure.at('q') ?? failure.detail : String(failure);
    } finally {
      scanInput.current?.focus(); // ready for the next scan
    }
  }

  function setStep(i: number, change: Partial<StepDraft>) {
    steps.value = steps.value.map((s, j) => (j === i ? { ...s, ...change } : s));
  }

  async function submit(e: Event) {
    e.preventDefault();
    problem.value = null;
    // Parameters are read here (their shape is the form's business); everything else is the API's to check.
    const local: { field: string; message: string }[] = [];
    const body = steps.value.map((s, i) => {
      const parsed = parseParameters(s.parameters);
      if (parsed.error) local.push({ field: `steps[${i}]`, message: parsed.error });
      return parsed.value ? { operation: s.operation, parameters: parsed.value } : s.operation;
    });
    if (local.length) {
      problem.value = new Problem(400, 'Some steps have unreadable parameters', local);
      return;
    }
    busy.value = true;
    try {
      const created = await call<Workflow>('POST', '/api/v1/workflows', {
        name: name.value.trim(),
        device_id: deviceId.value,
        sample_barcodes: samples.value.map((s) => s.barcode),
        steps: body,
        priority: priority.value,
      }, { idempotencyKey: intent.current });
      onCreated(created);
    } catch (failure) {
      problem.value = failure instanceof Problem ? failure : new Problem(0, String(failure));
    } finally {
      busy.value = false;
    }
  }

  const at = (field: string) => problem.value?.at(field);
  const placed = (field: string) => /^(name|device_id|priority|steps(\[\d+\])?|sample_barcodes(\[\d+\])?)$/.test(field);
  const unplaced = problem.value && (problem.value.errors.length === 0 || problem.value.errors.some((e) => !placed(e.field)));
  return (
    <Modal title="Create workflow" onClose={onClose}>
      <form onSubmit={submit} noValidate class="wf wf-create">
        <TextField name="name" label="Name" value={name.value} onValue={(v) => (name.value = v)} error={at('name')} required maxLength={200} />

        <div class="field">
          <label for="f-device_id">Device</label>
          <select
            id="f-device_id"
            name="device_id"
            value={deviceId.value}
            onChange={(e) => (deviceId.value = e.currentTarget.value)}
            aria-invalid={at('device_id') ? true : undefined}
            aria-describedby={at('device_id') ? 'f-device_id-error' : undefined}
          >
            <option value="">Choose a device…</option>
            {devices.value.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name} ({d.id}) · {d.type.replace(/_/g, ' ')} · {d.status}
              </option>
            ))}
          </select>
          {deviceCursor.value && (
            <button type="button" class="quiet" onClick={() => void loadDevices(deviceCursor.value)}>
              More devices
            </button>
          )}
          {at('device_id') && (
            <p id="f-device_id-error" class="field-error">
              {at('device_id')}
            </p>
          )}
        </div>

        <fieldset class="wf-samples-field">
          <legend>Samples</legend>
          <div class="field">
            <label for="f-scan">Scan or type a barcode, then Enter</label>
            <div class="wf-scan">
              <input
                id="f-scan"
                ref={scanInput}
                name="scan"
                value={scan.value}
                autoComplete="off"
                spellcheck={false}
                onInput={(e) => (scan.value = e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') {
                    e.preventDefault(); // the scanner's Enter adds the sample; it does not send the form
                    void addSample();
                  }
                }}
                aria-invalid={scanMessage.value || at('sample_barcodes') ? true : undefined}
                aria-describedby={scanMessage.value || at('sample_barcodes') ? 'f-scan-error' : undefined}
              />
              <button type="button" onClick={() => void addSample()}>
                Add
              </button>
            </div>
            {(scanMessage.value || at('sample_barcodes')) && (
              <p id="f-scan-error" class="field-error">
                {scanMessage.value ?? at('sample_barcodes')}
              </p>
            )}
            <p class="wf-announce" role="status">
              {scanAnnouncement.value}
            </p>
          </div>
          {samples.value.length > 0 && (
            <ul class="wf-chosen" aria-label="Samples in this workflow">
              {samples.value.map((s, i) => (
                <li key={s.barcode} data-barcode={s.barcode}>
                  <span>
                    <code>{s.barcode}</code> {s.id} <span class={`status status-${s.state}`}>{s.state}</span>
                    {s.state !== 'QC_PASSED' && <span class="hint"> moves into the experiment only from QC_PASSED</span>}
                    {at(`sample_barcodes[${i}]`) && <span class="field-error"> {at(`sample_barcodes[${i}]`)}</span>}
                  </span>
                  <button type="button" class="quiet" aria-label={`Remove ${s.barcode}`} onClick={() => (samples.value = samples.value.filter((o) => o !== s))}>
                    Remove
                  </button>
                </li>
              ))}
            </ul>
          )}
        </fieldset>

        <fieldset class="wf-steps-field">
          <legend>Steps, in order</legend>
          {!device && <p class="hint">Choose the device first: its type decides the operations.</p>}
          {at('steps') && <p class="field-error">{at('steps')}</p>}
          <ol class="wf-draft-steps">
            {steps.value.map((s, i) => {
              const error = at(`steps[${i}]`);
              return (
                <li key={i} class="wf-draft-step">
                  <div class="field">
                    <label for={`f-step-${i}-operation`}>Step {i + 1} operation</label>
                    <select
                      id={`f-step-${i}-operation`}
                      value={s.operation}
                      disabled={!device}
                      onChange={(e) => setStep(i, { operation: e.currentTarget.value })}
                      aria-invalid={error ? true : undefined}
                      aria-describedby={error ? `f-step-${i}-error` : undefined}
                    >
                      <option value="">Choose…</option>
                      {(device?.operations ?? []).map((op) => (
                        <option key={op} value={op}>
                          {op.replace(/_/g, ' ')}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="field">
                    <label for={`f-step-${i}-parameters`}>Parameters</label>
                    <input
                      id={`f-step-${i}-parameters`}
                      value={s.parameters}
                      placeholder="wavelength_nm=450"
                      onInput={(e) => setStep(i, { parameters: e.currentTarget.value })}
                      aria-invalid={error ? true : undefined}
                      aria-describedby={error ? `f-step-${i}-error` : undefined}
                    />
                  </div>
                  {steps.value.length > 1 && (
                    <button type="button" class="quiet" aria-label={`Remove step ${i + 1}`} onClick={() => (steps.value = steps.value.filter((_, j) => j !== i))}>
                      Remove
                    </button>
                  )}
                  {error && (
                    <p id={`f-step-${i}-error`} class="field-error">
                      {error}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          <button type="button" onClick={() => (steps.value = [...steps.value, { operation: '', parameters: '' }])}>
            Add step
          </button>
        </fieldset>

        <div class="field">
          <label for="f-priority">Priority in the device's queue</label>
          <select id="f-priority" value={priority.value} onChange={(e) => (priority.value = e.currentTarget.value)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          {at('priority') && <p class="field-error">{at('priority')}</p>}
        </div>

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
