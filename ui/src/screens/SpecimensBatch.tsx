import { useSignal } from '@preact/signals';
import { call, Problem } from '../api';
import type { JSX } from 'preact';
import { Modal } from '../Modal';

interface TestBatch {
  batch_key: string;
  test_code: string;
  specimen_ids: string[];
  analysis_requests: unknown[];
}

/** A key the lab can read back ("batch-20261202-0815-k3f9"); kept while the dialog is open, so sending again is the same batch. */
function newBatchKey(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
  return `batch-${day}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * "Create test batch": one analysis request per specimen for a test (POST /test-batches).
 * The batch key makes it idempotent: a repeat (a double click, a retry after a lost answer)
 * answers the same batch; the key with other contents is refused and shown at the key.
 */
export function SpecimensBatch({ specimenIds, onClose, onRecorded }: { specimenIds: string[]; onClose: () => void; onRecorded: () => void }) {
  const batchKey = useSignal(newBatchKey());
  const testCode = useSignal('');
  const ids = useSignal(specimenIds.join('\n'));
  const problem = useSignal<Problem | null>(null);
  const recorded = useSignal<TestBatch | null>(null);
  const busy = useSignal(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (busy.value) return;
    busy.value = true;
    problem.value = null;
    try {
      recorded.value = await call<TestBatch>('POST', '/api/v1/test-batches', {
        batch_key: batchKey.value.trim(),
        test_code: testCode.value.trim(),
        specimen_ids: ids.value.split(/[\s,;]+/).filter(Boolean).map((s) => s.toUpperCase()),
      });
      onRecorded();
    } catch (failure) {
      problem.value = failure instanceof Problem ? failure : new Problem(0, String(failure));
    } finally {
      busy.value = false;
    }
  }

  const p = problem.value;
  // A 404 names the unknown specimens; a 409 says the key was used for another batch.
  const messages: Record<string, string | undefined> = {
    batch_key: p?.at('batch_key') ?? (p?.status === 409 ? `This batch key was used for another batch: ${p.detail}` : undefined),
    test_code: p?.at('test_code'),
    specimen_ids:
      p?.errors.filter((e) => e.field.startsWith('specimen_ids')).map((e) => `${e.field}: ${e.message}`).join(' ') ||
      (p?.status === 404 ? p.detail : undefined),
  };
  const placed = Object.values(messages).some(Boolean);

  if (recorded.value) {
    const b = recorded.value;
    return (
      <Modal title="Test batch recorded" onClose={onClose}>
        <p role="status">
          Batch <code>{b.batch_key}</code>: {b.analysis_requests.length} analysis request{b.analysis_requests.length === 1 ? '' : 's'} for{' '}
          <strong>{b.test_code}</strong> ({b.specimen_ids.join(', ')}). A batch records the requests; it starts no analysis.
        </p>
        <div class="actions">
          <button type="button" class="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Modal>
    );
  }

  const field = (name: string, label: string, control: JSX.Element, hint?: string) => (
    <div class="field">
      <label for={`batch-${name}`}>{label}</label>
      {control}
      {hint && (
        <p id={`batch-${name}-hint`} class="hint">
          {hint}
        </p>
      )}
      {messages[name] && (
        <p id={`batch-${name}-error`} class="field-error">
          {messages[name]}
        </p>
      )}
    </div>
  );
  const aria = (name: string, hint = false) => ({
    'aria-invalid': messages[name] ? true : undefined,
    'aria-describedby': [messages[name] && `batch-${name}-error`, hint && `batch-${name}-hint`].filter(Boolean).join(' ') || undefined,
  });

  return (
    <Modal title="Create test batch" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        {field(
          'test_code',
          'Test',
          <input id="batch-test_code" {...aria('test_code')} value={testCode.value} onInput={(e) => (testCode.value = e.currentTarget.value)} autoComplete="off" />,
        )}
        {field(
          'specimen_ids',
          'Specimens',
          <textarea id="batch-specimen_ids" rows={4} {...aria('specimen_ids', true)} value={ids.value} onInput={(e) => (ids.value = e.currentTarget.value)} />,
          'Specimen ids, one per line (the ones ticked in the list are filled in)',
        )}
        {field(
          'batch_key',
          'Batch key',
          <input id="batch-batch_key" {...aria('batch_key', true)} value={batchKey.value} onInput={(e) => (batchKey.value = e.currentTarget.value)} autoComplete="off" />,
          'Sending the same key again answers the same batch',
        )}
        {p && !placed && (
          <p class="error" role="alert">
            {p.detail}
          </p>
        )}
        <div class="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy.value}>
            {busy.value ? 'Recording…' : 'Record batch'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
