import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { instant } from '../format';
import { navigate } from '../router';
import { can } from '../session';
import { Filters, newlyRegisteredMatches, SpecimenRow, specimensQuery, STATES, stateWords } from './SpecimensLifecycle';
import { SpecimensBatch } from './SpecimensBatch';
import { SpecimensRegister } from './SpecimensRegister';

/**
 * Specimens by id, oldest first (the bench works the oldest waiting specimen first), filtered
 * by state, client and the day they were received, a page at a time with the API's cursor.
 * Live: a transition or a new location patches its row; a new registration is added when the
 * list already shows its end and the filters admit it.
 */
export function SpecimensList() {
  const state = useSignal('');
  const client = useSignal('');
  const clientApplied = useSignal('');
  const receivedFrom = useSignal('');
  const receivedTo = useSignal('');
  const selected = useSignal<string[]>([]);
  const registering = useSignal(false);
  const batching = useSignal(false);

  // The client filter reads as the user types, without a request per keystroke.
  useEffect(() => {
    const timer = setTimeout(() => (clientApplied.value = client.value), 300);
    return () => clearTimeout(timer);
  }, [client.value]);

  const filters: Filters = { state: state.value, client: clientApplied.value, receivedFrom: receivedFrom.value, receivedTo: receivedTo.value };
  const query = specimensQuery(filters);
  const list = usePaged<SpecimenRow>(query, (r) => r.id);

  useEffect(
    () =>
      onChange('specimen', (c) => {
        if (c.type === 'specimen.registered') {
          const row: SpecimenRow = {
            id: c.id,
            barcode: String(c.barcode),
            client_ref: String(c.client_ref),
            type: String(c.specimen_type ?? ''),
            state: String(c.state),
            priority: String(c.priority),
            plate: null,
            well: null,
            replaces: (c.replaces as string | null) ?? null,
            received_at: null,
          };
          // Ids grow: a new specimen belongs at the end, so it is added only when the end is shown.
          if (!list.cursor.value && !list.loading.value && newlyRegisteredMatches(filters, row) && !list.patch(c.id, (r) => r)) {
            list.rows.value = [...list.rows.value, row];
          }
        } else if (c.type === 'specimen.transitioned') {
          list.patch(c.id, (r) => ({ ...r, state: String(c.state), received_at: c.state === 'RECEIVED' ? String(c.at) : r.received_at }));
        } else if (c.type === 'specimen.located') {
          const at = c.location as { plate: string; well: string } | null;
          list.patch(c.id, (r) => ({ ...r, plate: at?.plate ?? null, well: at?.well ?? null }));
        }
      }),
    [query],
  );

  const mayBatch = can('test_batches.create');
  const problem = list.problem.value;
  const filterError = (field: string) => problem?.at(field);
  const dateError = filterError('received_from') ?? filterError('received_before');
  const open = (id: string) => (e: Event) => {
    e.preventDefault();
    navigate(`/specimens/${id}`);
  };
  const toggle = (id: string, on: boolean) => {
    selected.value = on ? [...selected.value.filter((s) => s !== id), id] : selected.value.filter((s) => s !== id);
  };

  return (
    <section aria-labelledby="specimens-heading" class="screen">
      <div class="screen-head">
        <h2 id="specimens-heading">{state.value ? `Specimens ${stateWords(state.value).toLowerCase()}` : 'All specimens'}</h2>
        <div class="head-actions">
          {mayBatch && (
            <button type="button" onClick={() => (batching.value = true)}>
              Create test batch{selected.value.length ? ` (${selected.value.length})` : ''}
            </button>
          )}
          {can('specimens.register') && (
            <button type="button" class="primary" onClick={() => (registering.value = true)}>
              Register specimen
            </button>
          )}
        </div>
      </div>

      <form class="filters" aria-label="Filter specimens" onSubmit={(e) => e.preventDefault()}>
        <div class="field">
          <label for="filter-state">State</label>
          <select id="filter-state" value={state.value} onChange={(e) => (state.value = e.currentTarget.value)}>
            <option value="">Any state</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {stateWords(s)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="filter-client">Client reference</label>
          <input
            id="filter-client"
            value={client.value}
            onInput={(e) => (client.value = e.currentTarget.value)}
            placeholder="starts with…"
            autoComplete="off"
            aria-invalid={filterError('client_ref') ? true : undefined}
            aria-describedby={filterError('client_ref') ? 'filter-client-error' : undefined}
          />
          {filterError('client_ref') && (
            <p id="filter-client-error" class="field-error">
              {filterError('client_ref')}
            </p>
          )}
        </div>
        <div class="field">
          <label for="filter-received-from">Received from</label>
          <input
            id="filter-received-from"
            type="date"
            value={receivedFrom.value}
            onChange={(e) => (receivedFrom.value = e.currentTarget.value)}
            aria-invalid={dateError ? true : undefined}
            aria-describedby={dateError ? 'filter-received-error' : undefined}
          />
        </div>
        <div class="field">
          <label for="filter-received-to">Received to</label>
          <input id="filter-received-to" type="date" value={receivedTo.value} onChange={(e) => (receivedTo.value = e.currentTarget.value)} />
        </div>
        {dateError && (
          <p id="filter-received-error" class="field-error wide">
            {dateError}
          </p>
        )}
      </form>

      {list.error.value && !problem?.errors.length && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {list.rows.value.length === 0 && !list.loading.value && !list.error.value ? (
        <p class="empty">No specimens match.</p>
      ) : (
        <table class="rows specimen-rows">
          <thead>
            <tr>
              {mayBatch && (
                <th scope="col">
                  <span class="visually-hidden">Select for a test batch</span>
                </th>
              )}
              <th scope="col">Specimen</th>
              <th scope="col">Client</th>
              <th scope="col">Type</th>
              <th scope="col">Priority</th>
              <th scope="col">State</th>
              <th scope="col">Received</th>
              <th scope="col">Plate · well</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.value.map((s) => (
              <tr key={s.id} data-specimen={s.id}>
                {mayBatch && (
                  <td data-label="Batch" class="pick">
                    <label class="check">
                      <input
                        type="checkbox"
                        checked={selected.value.includes(s.id)}
                        onChange={(e) => toggle(s.id, e.currentTarget.checked)}
                      />
                      <span class="visually-hidden">Select {s.id} for a test batch</span>
                    </label>
                  </td>
                )}
                <td data-label="Specimen" class="title">
                  <div>
                    <a href={`/specimens/${s.id}`} onClick={open(s.id)}>
                      {s.id}
                    </a>
                    <span class="id">{s.barcode}</span>
                  </div>
                </td>
                <td data-label="Client">{s.client_ref}</td>
                <td data-label="Type">{s.type}</td>
                <td data-label="Priority">
                  <span class={`priority priority-${s.priority}`}>{s.priority}</span>
                </td>
                <td data-label="State">
                  <span class={`status state-${s.state}`} data-state={s.state}>
                    {stateWords(s.state)}
                  </span>
                </td>
                <td data-label="Received">{s.received_at ? <time dateTime={s.received_at}>{instant(s.received_at)}</time> : '—'}</td>
                <td data-label="Plate · well">{s.plate ? `${s.plate} · ${s.well}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="more">
        {list.loading.value && <span role="status">Loading…</span>}
        {!list.loading.value && list.cursor.value && (
          <button type="button" onClick={() => void list.more()}>
            Show more
          </button>
        )}
      </div>
      {registering.value && (
        <SpecimensRegister
          onClose={() => (registering.value = false)}
          onRegistered={(id) => {
            registering.value = false;
            navigate(`/specimens/${id}`);
          }}
        />
      )}
      {batching.value && (
        <SpecimensBatch
          specimenIds={selected.value}
          onClose={() => (batching.value = false)}
          onRecorded={() => (selected.value = [])}
        />
      )}
    </section>
  );
}
