import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { get, Page } from '../api';
import { instant, Schedule, scheduleInWords } from '../format';
import { can } from '../session';
import { CreateLabTest } from './CreateLabTest';

/** A row of GET /api/v1/lab-tests. */
export interface LabTestRow {
  id: string;
  title: string;
  type: string | null;
  experiment: string | null;
  recipients?: string[];
  status: string;
  action_kind: string;
  next_fire_at: string | null;
  schedule: Schedule;
}

const PAGE_SIZE = 25;

/** The landing page: upcoming lab tests, soonest first, a page at a time with the API's cursor. */
export function LabTests(_: { rest: string }) {
  const rows = useSignal<LabTestRow[]>([]);
  const cursor = useSignal<string | null>(null);
  const loading = useSignal(true);
  const error = useSignal<string | null>(null);
  const creating = useSignal(false);

  async function load(after: string | null) {
    loading.value = true;
    error.value = null;
    try {
      const query = `upcoming=true&limit=${PAGE_SIZE}` + (after ? `&after=${encodeURIComponent(after)}` : '');
      const page = await get<Page<LabTestRow>>(`/api/v1/lab-tests?${query}`);
      rows.value = after ? [...rows.value, ...page.items] : page.items;
      cursor.value = page.next_cursor;
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  useEffect(() => {
    void load(null);
  }, []);

  return (
    <section aria-labelledby="lab-tests-heading" class="screen">
      <div class="screen-head">
        <h2 id="lab-tests-heading">Upcoming lab tests</h2>
        {can('lab_tests.create') && (
          <button type="button" class="primary" onClick={() => (creating.value = true)}>
            Create test
          </button>
        )}
      </div>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
      {rows.value.length === 0 && !loading.value && !error.value ? (
        <p class="empty">No lab tests are scheduled.</p>
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
            </tr>
          </thead>
          <tbody>
            {rows.value.map((t) => (
              <tr key={t.id} data-lab-test={t.id}>
                <td data-label="Title" class="title">
                  <div>
                    {t.title}
                    <span class="id">{t.id}</span>
                  </div>
                </td>
                <td data-label="Type">{t.type ?? '—'}</td>
                <td data-label="Experiment">{t.experiment ?? '—'}</td>
                <td data-label="Schedule">{scheduleInWords(t.schedule)}</td>
                <td data-label="Next run">
                  <time dateTime={t.next_fire_at ?? undefined}>{instant(t.next_fire_at)}</time>
                </td>
                <td data-label="Recipients">{t.recipients?.length ? t.recipients.join(', ') : '—'}</td>
                <td data-label="Status">
                  <span class={`status status-${t.status}`}>{t.status}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="more">
        {loading.value && <span role="status">Loading…</span>}
        {!loading.value && cursor.value && (
          <button type="button" onClick={() => void load(cursor.value)}>
            Show more
          </button>
        )}
      </div>
      {creating.value && (
        <CreateLabTest
          onClose={() => (creating.value = false)}
          onCreated={() => {
            creating.value = false;
            void load(null);
          }}
        />
      )}
    </section>
  );
}
