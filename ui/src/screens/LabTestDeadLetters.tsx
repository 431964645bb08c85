import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { call, get, Problem } from '../api';
import { usePaged } from '../components/usePaged';
import { useLiveRows } from '../components/useLiveRows';
import { instant } from '../format';
import { navigate } from '../router';
import { can } from '../session';
import { applyToDeadLetters, DeadLetter, LabTest } from './LabTestsModel';

/**
 * Open dead letters (executions that failed every attempt), of one lab test or of all, with
 * "Retry" for those who may: the same execution runs once more; the letter leaves the list
 * live when that attempt succeeds, and is listed again (with its new error) when it fails.
 */
export function LabTestDeadLetters({ labTestId, titleOf }: { labTestId?: string; titleOf?: (id: string) => string | undefined }) {
  const query = `/api/v1/dead-letters?limit=25${labTestId ? `&lab_test_id=${labTestId}` : ''}`;
  const letters = usePaged<DeadLetter>(query, (d) => d.id);
  useLiveRows(letters, ['dead_letter', 'lab_test_execution', 'lab_test'], (rows, c, more) => applyToDeadLetters(rows, c, labTestId, more), [labTestId]);
  const failure = useSignal<string | null>(null);
  const rows = letters.rows.value;

  // Letters of every test name their test by its title: those the page does not know are read, once each.
  const titles = useSignal<Record<string, string>>({});
  useEffect(() => {
    if (labTestId) return;
    const unknown = [...new Set(rows.map((r) => r.lab_test_id))].filter((id) => !titleOf?.(id) && !(id in titles.value));
    if (unknown.length === 0) return;
    titles.value = { ...titles.value, ...Object.fromEntries(unknown.map((id) => [id, id])) };
    unknown.forEach((id) =>
      get<LabTest>(`/api/v1/lab-tests/${id}`)
        .then((t) => (titles.value = { ...titles.value, [id]: t.title }))
        .catch(() => undefined),
    );
  }, [rows]);

  async function retry(letter: DeadLetter) {
    failure.value = null;
    try {
      await call('POST', `/api/v1/dead-letters/${letter.id}/retry`);
      letters.patch(letter.id, (d) => ({ ...d, retrying: true }));
    } catch (problem) {
      failure.value = `Not retried: ${problem instanceof Problem ? problem.detail : 'the server could not be reached'}`;
      void letters.reload();
    }
  }

  return (
    <section class="dead-letters" aria-labelledby={`dead-letters-${labTestId ?? 'all'}`}>
      <h2 id={`dead-letters-${labTestId ?? 'all'}`}>Dead letters{rows.length ? ` (${rows.length}${letters.cursor.value ? '+' : ''})` : ''}</h2>
      {letters.error.value && (
        <p class="error" role="alert">
          {letters.error.value}
        </p>
      )}
      {failure.value && (
        <p class="error" role="alert">
          {failure.value}
        </p>
      )}
      {rows.length === 0 ? (
        !letters.loading.value && <p class="empty">No open dead letters: every execution succeeded or is still being tried.</p>
      ) : (
        <table class="rows">
          <thead>
            <tr>
              {!labTestId && <th scope="col">Lab test</th>}
              <th scope="col">Due (your time)</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">Dead-lettered</th>
              {can('dead_letters.retry') && <th scope="col">Retry</th>}
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-dead-letter={d.id}>
                {!labTestId && (
                  <td data-label="Lab test">
                    <a
                      href={`/lab-tests/${d.lab_test_id}`}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(`/lab-tests/${d.lab_test_id}`);
                      }}
                    >
                      {titleOf?.(d.lab_test_id) ?? titles.value[d.lab_test_id] ?? d.lab_test_id}
                    </a>
                  </td>
                )}
                <td data-label="Due">
                  <time dateTime={d.due_at}>{instant(d.due_at)}</time>
                </td>
                <td data-label="Attempts">{d.attempts}</td>
                <td data-label="Last error" class="log-line">
                  {d.error}
                </td>
                <td data-label="Dead-lettered">
                  <time dateTime={d.dead_lettered_at}>{instant(d.dead_lettered_at)}</time>
                </td>
                {can('dead_letters.retry') && (
                  <td data-label="Retry">
                    {d.retrying ? (
                      <span class="status status-running">retrying</span>
                    ) : (
                      <button type="button" onClick={() => void retry(d)} aria-label={`Retry the execution due ${instant(d.due_at)}`}>
                        Retry
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="more">
        {letters.loading.value && <span role="status">Loading…</span>}
        {!letters.loading.value && letters.cursor.value && (
          <button type="button" onClick={() => void letters.more()}>
            Show more dead letters
          </button>
        )}
      </div>
    </section>
  );
}
