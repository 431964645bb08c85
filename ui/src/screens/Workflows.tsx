import { useSignal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { usePaged } from '../components/usePaged';
import { onChange } from '../events';
import { instant } from '../format';
import { navigate, segment } from '../router';
import { can } from '../session';
import { WorkflowDetail } from './WorkflowsDetail';
import { CreateWorkflow } from './WorkflowsCreate';
import { applyChange, fromCreated, STATUSES, Workflow } from './WorkflowsModel';
import { AppLink, Progress } from './WorkflowsParts';
import './Workflows.css';

const PAGE_SIZE = 25;

/** Workflows: the list at /workflows, one workflow at /workflows/<id>. */
export function Workflows({ rest }: { rest: string }) {
  const id = segment(rest.replace(/^\//, ''));
  return id ? <WorkflowDetail id={id} /> : <WorkflowList />;
}

function WorkflowList() {
  const status = useSignal('');
  const creating = useSignal(false);
  const list = usePaged<Workflow>(`/api/v1/workflows?limit=${PAGE_SIZE}${status.value ? `&status=${status.value}` : ''}`, (w) => w.id);

  // Live: a new workflow shows at the top; a status or step change updates its row in place.
  useEffect(
    () =>
      onChange('workflow', (c) => {
        if (c.type === 'workflow.created') {
          const row = fromCreated(c);
          const shown = !status.value || status.value === row.status;
          if (shown && !list.rows.value.some((w) => w.id === row.id)) list.rows.value = [row, ...list.rows.value];
          return;
        }
        list.patch(c.id, (w) => applyChange(w, c));
      }),
    [],
  );

  return (
    <section aria-labelledby="workflows-heading" class="screen wf">
      <div class="screen-head">
        <h2 id="workflows-heading">All workflows</h2>
        {can('workflows.create') && (
          <button type="button" class="primary" onClick={() => (creating.value = true)}>
            Create workflow
          </button>
        )}
      </div>
      <div class="wf-filters">
        <label for="wf-status">Status</label>
        <select id="wf-status" value={status.value} onChange={(e) => (status.value = e.currentTarget.value)}>
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {list.error.value && (
        <p class="error" role="alert">
          {list.error.value}
        </p>
      )}
      {list.rows.value.length === 0 && !list.loading.value && !list.error.value ? (
        <p class="empty">No workflows{status.value ? ` are ${status.value}` : ' yet'}.</p>
      ) : (
        <table class="rows">
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col">Priority</th>
              <th scope="col">Progress</th>
              <th scope="col">Samples</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.value.map((w) => (
              <tr key={w.id} data-workflow={w.id}>
                <td data-label="Workflow" class="title">
                  <div>
                    <AppLink to={`/workflows/${w.id}`}>{w.name || w.id}</AppLink>
                    <span class="id">{w.id}</span>
                  </div>
                </td>
                <td data-label="Device">{w.device_id}</td>
                <td data-label="Status">
                  <span class={`status status-${w.status}`}>{w.status}</span>
                </td>
                <td data-label="Priority">{w.priority}</td>
                <td data-label="Progress">
                  <Progress workflow={w} />
                </td>
                <td data-label="Samples">{w.samples.length}</td>
                <td data-label="Created">
                  <div>
                    {w.created_by}
                    {w.created_at && (
                      <span class="id">
                        <time dateTime={w.created_at}>{instant(w.created_at)}</time>
                      </span>
                    )}
                  </div>
                </td>
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
      {creating.value && (
        <CreateWorkflow
          onClose={() => (creating.value = false)}
          onCreated={(w) => {
            creating.value = false;
            navigate(`/workflows/${w.id}`);
          }}
        />
      )}
    </section>
  );
}
