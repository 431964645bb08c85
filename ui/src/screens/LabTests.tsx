import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { get } from '../api';
import { usePaged } from '../components/usePaged';
import { useLiveRows } from '../components/useLiveRows';
import { onChange } from '../events';
import { instant, scheduleInWords } from '../format';
import { can } from '../session';
import { CreateLabTest } from './CreateLabTest';
import { LabTestDeadLetters } from './LabTestDeadLetters';
import { LabTestLogs } from './LabTestLogs';
import { LabTestMenu, Outcome } from './LabTestMenu';
import { applyToList, LabTest, LabTestRow, placeNew, rowOf, statusUnknownAfter, View, VIEWS } from './LabTestsModel';
import './LabTests.css';

export type { LabTestRow } from './LabTestsModel';

const PAGE_SIZE = 25;
const ONE_TEST = /^\/(LT-[0-9a-f]{12,17})$/;

/** The landing page: lab tests a page at a time with the API's cursor, live; "/lab-tests/LT-…" is one test's logs. */
export function LabTests({ rest }: { rest: string }) {
  const one = ONE_TEST.exec(rest);
  return one ? <LabTestLogs key={one[1]} id={one[1]} /> : <LabTestList />;
}

function LabTestList() {
  const view = useSignal<View>('upcoming');
  const query = `/api/v1/lab-tests?${VIEWS[view.value].query}${VIEWS[view.value].query ? '&' : ''}limit=${PAGE_SIZE}`;
  const tests = usePaged<LabTestRow>(query, (t) => t.id);
  const creating = useSignal(false);
  const editing = useSignal<LabTest | null>(null);
  const outcome = useSignal<Outcome | null>(null);

  useLiveRows(tests, ['lab_test', 'lab_test_execution', 'dead_letter'], (rows, c, more) => applyToList(rows, c, view.value, more), [view.value]);

  // A change that leaves a test's status to its other dead letters: the test itself says (one read of one test).
  useEffect(
    () =>
      onChange(['lab_test_execution', 'dead_letter'], (c) => {
        const id = String(c.lab_test_id);
        if (statusUnknownAfter(c) && tests.rows.value.some((r) => r.id === id)) void refresh(id);
      }),
    [],
  );

  async function refresh(id: string) {
    try {
      const t = await get<LabTest>(`/api/v1/lab-tests/${id}`);
      tests.patch(id, (r) => ({ ...r, status: t.status, next_fire_at: t.next_fire_at }));
    } catch {
      // deleted meanwhile: its lab_test.deleted change removes the row
    }
  }

  function done(o: Outcome) {
    outcome.value = o;
    if (o.deleted) tests.rows.value = tests.rows.value.filter((r) => r.id !== o.id);
    else {
      if (o.test) tests.patch(o.id, () => rowOf(o.test!));
      // The answer may come after live changes that are newer (a run by hand that has already
      // ended): the test is read once more, so the row ends as the test is now.
      void refresh(o.id);
    }
  }

  async function edit(row: LabTestRow) {
    try {
      editing.value = await get<LabTest>(`/api/v1/lab-tests/${row.id}`);
    } catch (failure) {
      outcome.value = { id: row.id, failed: true, message: `“${row.title}” cannot be edited: ${failure instanceof Error ? failure.message : failure}` };
    }
  }

  const rows = tests.rows.value;
  const titles = new Map(rows.map((r) => [r.id, r.title]));
  return (
    <div class="lab-test-page">
      <section aria-labelledby="lab-tests-heading" class="screen">
        <div class="screen-head">
          <h2 id="lab-tests-heading">{view.value === 'upcoming' ? 'Upcoming lab tests' : `Lab tests: ${VIEWS[view.value].label.toLowerCase()}`}</h2>
          <div class="head-tools">
            <label class="inline">
              <span>Show</span>
              <select value={view.value} onChange={(e) => (view.value = e.currentTarget.value as View)}>
                {Object.entries(VIEWS).map(([key, v]) => (
                  <option key={key} value={key}>
                    {v.label}
                  </option>
                ))}
              </select>
            </label>
            {can('lab_tests.create') && (
              <button type="button" class="primary" onClick={() => (creating.value = true)}>
                Create test
              </button>
            )}
          </div>
        </div>
        {tests.error.value && (
          <p class="error" role="alert">
            {tests.error.value}
          </p>
        )}
        {outcome.value && (
          <p class={outcome.value.failed ? 'error' : 'done'} role={outcome.value.failed ? 'alert' : 'status'}>
            {outcome.value.message}
          </p>
        )}
        {rows.length === 0 && !tests.loading.value && !tests.error.value ? (
          <p class="empty">{view.value === 'upcoming' ? 'No lab tests are scheduled.' : 'No lab tests here.'}</p>
        ) : (
          <table class="rows">
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Type</th>
                <th scope="col">Experiment</th>
                <th scope="col">Schedule</th>
                <th scope="col">Next run (your time)</th>
                <th scope="col">Recipients</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id} data-lab-test={t.id}>
                  <td data-label="Title" class="title">
                    <div>
                      {t.title}
                      <span class="id">{t.id}</span>
                    </div>
                  </td>
                  <td data-label="Type">{t.type ?? '—'}</td>
                  <td data-label="Experiment">{t.experiment ?? '—'}</td>
                  <td data-label="Schedule">{t.schedule.description ?? scheduleInWords(t.schedule)}</td>
                  <td data-label="Next run">
                    <time dateTime={t.next_fire_at ?? undefined}>{instant(t.next_fire_at)}</time>
                  </td>
                  <td data-label="Recipients">{t.recipients?.length ? t.recipients.join(', ') : '—'}</td>
                  <td data-label="Status">
                    <span class={`status status-${t.status}`}>{t.status.replace('_', ' ')}</span>
                  </td>
                  <td data-label="Actions" class="row-actions">
                    <LabTestMenu test={t} onEdit={() => void edit(t)} onDone={done} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div class="more">
          {tests.loading.value && <span role="status">Loading…</span>}
          {!tests.loading.value && tests.cursor.value && (
            <button type="button" onClick={() => void tests.more()}>
              Show more
            </button>
          )}
        </div>
      </section>

      <div class="screen">
        <LabTestDeadLetters titleOf={(id) => titles.get(id)} />
      </div>

      {creating.value && (
        <CreateLabTest
          onClose={() => (creating.value = false)}
          onSaved={(created) => {
            creating.value = false;
            outcome.value = { id: created.id, message: `“${created.title}” created.` };
            tests.rows.value = placeNew(tests.rows.value, rowOf(created), view.value, tests.cursor.value !== null);
          }}
        />
      )}
      {editing.value && (
        <CreateLabTest
          existing={editing.value}
          onClose={() => (editing.value = null)}
          onSaved={(saved) => {
            editing.value = null;
            outcome.value = { id: saved.id, message: `“${saved.title}” saved.` };
            tests.patch(saved.id, () => rowOf(saved));
          }}
        />
      )}
    </div>
  );
}
