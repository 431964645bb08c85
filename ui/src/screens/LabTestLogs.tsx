import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { get, Problem } from '../api';
import { usePaged } from '../components/usePaged';
import { useLiveRows } from '../components/useLiveRows';
import { onChange, onReload } from '../events';
import { instant, scheduleInWords } from '../format';
import { navigate } from '../router';
import { CreateLabTest } from './CreateLabTest';
import { LabTestDeadLetters } from './LabTestDeadLetters';
import { LabTestMenu, Outcome } from './LabTestMenu';
import { applyToExecutions, Execution, firedBy, LabTest, lateness } from './LabTestsModel';

/**
 * One lab test's page ("Show logs"): what it is, its executions newest first with their log
 * lines, and its dead letters. Executions appear and change as they happen (lab_test_execution
 * changes), without reloading.
 */
export function LabTestLogs({ id }: { id: string }) {
  const test = useSignal<LabTest | null>(null);
  const missing = useSignal<string | null>(null);
  const editing = useSignal(false);
  const outcome = useSignal<Outcome | null>(null);
  const executions = usePaged<Execution>(`/api/v1/lab-tests/${id}/executions?order=newest_first&limit=50`, (e) => e.execution_id);
  useLiveRows(executions, ['lab_test_execution'], (rows, c, more) => (c.lab_test_id === id ? applyToExecutions(rows, c, more) : rows), [id]);

  // One read at a time: changes that come while one is under way ask for one more after it
  // (a test firing every second does not cause a read per change).
  const reading = useRef<'idle' | 'reading' | 'again'>('idle');
  async function read() {
    if (reading.current !== 'idle') {
      reading.current = 'again';
      return;
    }
    reading.current = 'reading';
    try {
      test.value = await get<LabTest>(`/api/v1/lab-tests/${id}`);
    } catch (failure) {
      missing.value = failure instanceof Problem && failure.status === 404 ? 'There is no lab test with this id (it may have been deleted).' : String(failure instanceof Error ? failure.message : failure);
    }
    const again = (reading.current as string) === 'again'; // set by a change during the await
    reading.current = 'idle';
    if (again) void read();
  }

  useEffect(() => {
    void read();
    // The test itself is read again on any change of it: its status and next run come from the entity.
    const off = onChange(['lab_test', 'lab_test_execution', 'dead_letter'], (c) => {
      if (c.type === 'lab_test.deleted' && c.id === id) {
        missing.value = 'This lab test was deleted: it will not run again.';
        test.value = null;
      } else if (c.id === id || c.lab_test_id === id) void read();
    });
    const offReload = onReload(() => void read());
    return () => {
      off();
      offReload();
    };
  }, [id]);

  const back = (
    <a
      class="back"
      href="/lab-tests"
      onClick={(e) => {
        e.preventDefault();
        navigate('/lab-tests');
      }}
    >
      ← All lab tests
    </a>
  );
  const t = test.value;
  const rows = executions.rows.value;
  return (
    <div class="lab-test-page">
      <section class="screen" aria-labelledby="lab-test-heading">
        {back}
        {missing.value && (
          <p class="error" role="alert">
            {missing.value}
          </p>
        )}
        {t && (
          <>
            <div class="screen-head">
              <h2 id="lab-test-heading">
                {t.title} <span class={`status status-${t.status}`}>{t.status}</span>
              </h2>
              <LabTestMenu
                test={t}
                showLogs={false}
                onEdit={() => (editing.value = true)}
                onDone={(o) => {
                  outcome.value = o;
                  if (o.deleted) navigate('/lab-tests');
                  else {
                    if (o.test) test.value = o.test;
                    void read(); // newer than the answer, which live changes may have overtaken
                  }
                }}
              />
            </div>
            {outcome.value && (
              <p class={outcome.value.failed ? 'error' : 'done'} role={outcome.value.failed ? 'alert' : 'status'}>
                {outcome.value.message}
              </p>
            )}
            <dl class="facts">
              <dt>Schedule</dt>
              <dd>{t.schedule.description ?? scheduleInWords(t.schedule)}</dd>
              <dt>Next run</dt>
              <dd>
                <time dateTime={t.next_fire_at ?? undefined}>{instant(t.next_fire_at)}</time>
              </dd>
              <dt>Type</dt>
              <dd>{t.type ?? '—'}</dd>
              <dt>Experiment</dt>
              <dd>{t.experiment ?? '—'}</dd>
              <dt>Action</dt>
              <dd class="log-line">{actionInWords(t.action)}</dd>
              <dt>Recipients</dt>
              <dd>{t.recipients?.length ? t.recipients.join(', ') : '—'}</dd>
              <dt>Retries</dt>
              <dd>{t.max_retries} after a failed attempt</dd>
              <dt>Missed runs</dt>
              <dd>{t.misfire_policy.replace('_', ' ')}</dd>
              <dt>Created</dt>
              <dd>
                by {t.created_by}, <time dateTime={t.created_at}>{instant(t.created_at)}</time>
              </dd>
            </dl>
          </>
        )}
        {!t && !missing.value && <p role="status">Loading…</p>}
      </section>

      <section class="screen" aria-labelledby="executions-heading">
        <h2 id="executions-heading">Executions</h2>
        {executions.error.value && (
          <p class="error" role="alert">
            {executions.error.value}
          </p>
        )}
        {rows.length === 0 ? (
          !executions.loading.value && <p class="empty">No executions yet: the first appears here when the test runs.</p>
        ) : (
          <table class="rows executions">
            <thead>
              <tr>
                <th scope="col">Due (your time)</th>
                <th scope="col">Lateness</th>
                <th scope="col">Attempt</th>
                <th scope="col">Status</th>
                <th scope="col">Log</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.execution_id} data-execution={e.execution_id}>
                  <td data-label="Due">
                    <div>
                      <time dateTime={e.due_at}>{instant(e.due_at)}</time>
                      {e.fired_by && <span class="id">{firedBy(e.fired_by)}</span>}
                    </div>
                  </td>
                  <td data-label="Lateness">{e.started_at ? lateness(e.lateness_ms) : '—'}</td>
                  <td data-label="Attempt">{e.attempt}</td>
                  <td data-label="Status">
                    <span class={`status status-${e.status}`}>{e.status}</span>
                  </td>
                  <td data-label="Log">
                    {e.log.length ? (
                      <ol class="log">
                        {e.log.map((line, i) => (
                          <li key={i} class="log-line">
                            {line}
                          </li>
                        ))}
                      </ol>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="more">
          {executions.loading.value && <span role="status">Loading…</span>}
          {!executions.loading.value && executions.cursor.value && (
            <button type="button" onClick={() => void executions.more()}>
              Show older executions
            </button>
          )}
        </div>
      </section>

      <div class="screen">
        <LabTestDeadLetters labTestId={id} />
      </div>

      {editing.value && t && (
        <CreateLabTest
          existing={t}
          onClose={() => (editing.value = false)}
          onSaved={(saved) => {
            editing.value = false;
            test.value = saved;
            outcome.value = { id, message: `“${saved.title}” saved.` };
          }}
        />
      )}
    </div>
  );
}

/** The action as a lab user reads it: what is called, on which device, which pipeline. */
export function actionInWords(action: LabTest['action']): string {
  const a = action as Record<string, unknown>;
  if (action.kind === 'http') return `HTTP ${a.method ?? 'POST'} ${a.url}`;
  if (action.kind === 'workflow') {
    const steps = Array.isArray(a.steps) ? a.steps.length : 0;
    return `workflow of ${steps} step${steps === 1 ? '' : 's'} on ${a.device_id}${a.queue === false ? '' : ', queued when busy'}`;
  }
  if (action.kind === 'analysis') return `analysis pipeline ${a.pipeline}`;
  return action.kind;
}
