import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { call, get, Problem } from '../api';
import { ReasonPrompt } from '../components/Dialogs';
import { onChange, onReload } from '../events';
import { instant } from '../format';
import { navigate } from '../router';
import { can } from '../session';
import {
  ACTIONS,
  actionWords,
  AnalysisRun,
  CustodyEntry,
  lifecycleSteps,
  OPEN_RUN,
  otherStates,
  Specimen,
  stateWords,
  StepStatus,
  timeLeft,
} from './SpecimensLifecycle';
import { SpecimensLabel } from './SpecimensLabel';
import { SpecimensPlate } from './SpecimensPlate';
import { SpecimensReports } from './SpecimensReports';
import { Client, mailbox, reportContacts } from './ClientsModel';

interface Notice {
  tone: 'ok' | 'warn' | 'error';
  text: string;
}

/**
 * One specimen: where it is in its lifecycle, what the user may do next, its chain of
 * custody, its analysis runs, its place on a plate and its label. Every action is sent with
 * the state the user saw (expected_state): when the specimen moved on meanwhile the API
 * answers 409 and nothing is applied; the page says what it is now and shows it.
 */
export function SpecimensDetail({ id }: { id: string }) {
  const specimen = useSignal<Specimen | null>(null);
  const history = useSignal<CustodyEntry[]>([]);
  const analyses = useSignal<AnalysisRun[]>([]);
  const failure = useSignal<string | null>(null);
  const notice = useSignal<Notice | null>(null);
  const prompt = useSignal<{ action: string; seen: string; error?: string } | null>(null);
  const busy = useSignal(false);
  const noticeBox = useRef<HTMLParagraphElement>(null);
  // Reads may overlap (a live change during a reload): only the newest one is shown.
  const latest = useRef(0);

  async function load(): Promise<Specimen | null> {
    const mine = ++latest.current;
    try {
      const [s, h] = await Promise.all([
        get<Specimen>(`/api/v1/specimens/${encodeURIComponent(id)}`),
        get<CustodyEntry[]>(`/api/v1/specimens/${encodeURIComponent(id)}/history`),
      ]);
      if (mine !== latest.current) return s;
      specimen.value = s;
      history.value = h;
      failure.value = null;
      void loadAnalyses();
      return s;
    } catch (f) {
      if (mine === latest.current) {
        failure.value =
          f instanceof Problem && f.status === 404 ? `No specimen has the id ${id}.`
          : f instanceof Problem && f.status === 400 ? `${id} is not a specimen id (SP-2026-000123).`
          : f instanceof Error ? f.message : String(f);
      }
      return null;
    }
  }

  async function loadAnalyses() {
    try {
      analyses.value = await get<AnalysisRun[]>(`/api/v1/specimens/${encodeURIComponent(id)}/analyses`);
    } catch {
      // The specimen itself is shown; its runs come with the next change or reload.
    }
  }

  useEffect(() => {
    void load();
    const stops = [
      onChange('specimen', (c) => c.id === id && void load()),
      // A run's id is AN-<specimen id>-<n>; not every analysis change repeats the specimen id.
      onChange('analysis', (c) => (c.specimen_id === id || c.id.startsWith(`AN-${id}-`)) && void loadAnalyses()),
      onReload(() => void load()),
    ];
    return () => stops.forEach((stop) => stop());
  }, [id]);

  function tell(next: Notice) {
    notice.value = next;
    // The button pressed may be gone (the state moved on): focus goes to what happened.
    setTimeout(() => noticeBox.current?.focus(), 0);
  }

  async function take(action: string, seen: string, reason?: string) {
    if (busy.value) return;
    busy.value = true;
    notice.value = null;
    try {
      const moved = await call<Specimen>('POST', `/api/v1/specimens/${encodeURIComponent(id)}/transitions`, {
        action,
        reason: reason || undefined,
        expected_state: seen,
      });
      prompt.value = null;
      specimen.value = moved;
      tell({ tone: 'ok', text: `${actionWords(action)}: the specimen is now ${stateWords(moved.state)}.` });
      void load();
    } catch (f) {
      if (f instanceof Problem && f.status === 400 && f.at('reason')) {
        prompt.value = { action, seen, error: f.at('reason') }; // the API requires a reason: ask for it
        return;
      }
      prompt.value = null;
      if (f instanceof Problem && f.status === 409) {
        const now = await load();
        const last = history.value[history.value.length - 1];
        const by = last ? ` (${actionWords(last.action)} by ${last.actor}, ${last.role}, ${instant(last.at)})` : '';
        tell({
          tone: 'warn',
          text:
            now && now.state !== seen
              ? `Not applied: “${actionWords(action)}” was chosen while the specimen was ${stateWords(seen)}, but it is now ${stateWords(now.state)}${by}. Nothing was changed; the page shows it as it is now.`
              : `Not applied: ${f.detail} Nothing was changed; the page shows the specimen as it is now.`,
        });
      } else {
        tell({ tone: 'error', text: f instanceof Error ? `Not applied: ${f.message}` : String(f) });
      }
    } finally {
      busy.value = false;
    }
  }

  function choose(action: string) {
    const seen = specimen.value!.state; // the state on the user's screen when they chose
    if (ACTIONS[action]?.reason) prompt.value = { action, seen };
    else void take(action, seen);
  }

  if (failure.value && !specimen.value) {
    return (
      <section class="screen" aria-labelledby="specimen-heading">
        <h2 id="specimen-heading">Specimen {id}</h2>
        <p class="error" role="alert">
          {failure.value}
        </p>
        <BackToList />
      </section>
    );
  }
  const s = specimen.value;
  if (!s) return <p role="status">Loading {id}…</p>;

  const actions = s.allowed_actions.filter((a) => can(`specimens.${a}`));
  const forward = actions.find((a) => ACTIONS[a]?.forward);
  return (
    <div class="specimen-page">
      <section class="screen" aria-labelledby="specimen-heading">
        <div class="screen-head">
          <div>
            <h2 id="specimen-heading">
              {s.id} <span class={`status state-${s.state}`}>{stateWords(s.state)}</span>
            </h2>
            <p class="specimen-sub">
              <span class="barcode">{s.barcode}</span> · {s.type} · client's reference {s.client_ref} · <span class={`priority priority-${s.priority}`}>{s.priority}</span>
            </p>
          </div>
          <BackToList />
        </div>
        <Lifecycle state={s.state} history={history.value} />
        <dl class="facts">
          <div>
            <dt>Tests requested</dt>
            <dd>{s.tests_requested.join(', ')}</dd>
          </div>
          <div>
            <dt>Collected</dt>
            <dd>{instant(s.collected_at)}</dd>
          </div>
          <ClientFacts specimen={s} />
          {s.replaces && (
            <div>
              <dt>Replaces</dt>
              <dd>
                <SpecimenLink id={s.replaces} />
              </dd>
            </div>
          )}
          {s.replacement_id && (
            <div>
              <dt>Replaced by</dt>
              <dd>
                <SpecimenLink id={s.replacement_id} />
              </dd>
            </div>
          )}
        </dl>
        <div class="specimen-actions" role="group" aria-label="Actions">
          {actions.map((a) => (
            <button
              key={a}
              type="button"
              class={ACTIONS[a]?.danger ? 'danger' : a === forward ? 'primary' : undefined}
              disabled={busy.value}
              data-action={a}
              onClick={() => choose(a)}
            >
              {actionWords(a)}
            </button>
          ))}
          {actions.length === 0 && (
            <p class="hint">{s.allowed_actions.length === 0 ? 'A final state: nothing more happens to this specimen.' : 'No action in this state is yours to take.'}</p>
          )}
        </div>
        {notice.value && (
          <p
            ref={noticeBox}
            tabIndex={-1}
            class={`notice notice-${notice.value.tone}`}
            role={notice.value.tone === 'ok' ? 'status' : 'alert'}
          >
            {notice.value.text}
          </p>
        )}
      </section>

      <div class="specimen-grid">
        <div class="specimen-main">
          <SpecimensReports id={s.id} state={s.state} />
          <section class="screen analyses-card" aria-labelledby="analyses-heading">
            <h2 id="analyses-heading">Analyses</h2>
            <Analyses runs={analyses.value} />
          </section>
          <section class="screen custody-card" aria-labelledby="custody-heading">
            <h2 id="custody-heading">Chain of custody</h2>
            <Custody entries={history.value} />
          </section>
        </div>
        <div class="specimen-side">
          <SpecimensPlate specimen={s} onLocated={(moved) => ((specimen.value = moved), void load())} />
          <SpecimensLabel specimen={s} />
        </div>
      </div>

      {prompt.value && (
        <ReasonPrompt
          title={`${actionWords(prompt.value.action)}: ${s.id}`}
          label="Reason (kept in the chain of custody)"
          required={true}
          confirm={actionWords(prompt.value.action)}
          error={prompt.value.error}
          onClose={() => (prompt.value = null)}
          onSubmit={(reason) => void take(prompt.value!.action, prompt.value!.seen, reason)}
        />
      )}
    </div>
  );
}

/**
 * The client the specimen is registered for (a link to its page) and who its report goes to:
 * the client's report contacts, read from the client as it is now, and the addresses named on
 * the specimen. A stored report lists the recipients of that version itself.
 */
function ClientFacts({ specimen }: { specimen: Specimen }) {
  const client = useSignal<Client | null>(null);
  const code = specimen.client_id ?? null;
  useEffect(() => {
    client.value = null;
    if (code && can('clients.read')) get<Client>(`/api/v1/clients/${encodeURIComponent(code)}`).then((c) => (client.value = c)).catch(() => undefined);
  }, [code]);
  const contacts = client.value ? reportContacts(client.value).map(mailbox) : [];
  const named = specimen.report_recipients ?? [];
  return (
    <>
      <div>
        <dt>Client</dt>
        <dd data-fact="client">
          {code ? (
            <a
              href={`/clients/${code}`}
              onClick={(e) => {
                e.preventDefault();
                navigate(`/clients/${code}`);
              }}
            >
              {client.value ? `${client.value.name} (${code})` : code}
            </a>
          ) : (
            'none'
          )}
        </dd>
      </div>
      <div>
        <dt>Report recipients</dt>
        <dd data-fact="recipients">
          {[...contacts, ...named].join(', ') || (code && !client.value ? `${code}'s report contacts` : 'nobody named')}
          {named.length > 0 && contacts.length > 0 && <span class="fact-note">{named.length === 1 ? 'the last one is' : `the last ${named.length} are`} named on this specimen</span>}
        </dd>
      </div>
    </>
  );
}

function BackToList() {
  return (
    <a
      class="back"
      href="/specimens"
      onClick={(e) => {
        e.preventDefault();
        navigate('/specimens');
      }}
    >
      All specimens
    </a>
  );
}

function SpecimenLink({ id }: { id: string }) {
  return (
    <a
      href={`/specimens/${id}`}
      onClick={(e) => {
        e.preventDefault();
        navigate(`/specimens/${id}`);
      }}
    >
      {id}
    </a>
  );
}

const STEP_WORDS: Record<StepStatus, string> = { done: 'done', current: 'current state', next: 'to come', off: 'not reached' };

/** The 16 states as a stepper: the main path, the branch this specimen took where it left it, and the others named below. */
function Lifecycle({ state, history }: { state: string; history: CustodyEntry[] }) {
  const steps = lifecycleSteps(state, history);
  const others = otherStates(steps);
  return (
    <div class="lifecycle">
      <ol aria-label="Lifecycle">
        {steps.map((step) => (
          <li
            key={step.state}
            class={`step step-${step.status}${step.branch ? ' step-branch' : ''}`}
            data-state={step.state}
            aria-current={step.status === 'current' ? 'step' : undefined}
          >
            <span class="dot" aria-hidden="true" />
            <span class="step-name">{stateWords(step.state)}</span>
            <span class="visually-hidden">, {STEP_WORDS[step.status]}</span>
          </li>
        ))}
      </ol>
      {others.length > 0 && <p class="hint lifecycle-others">Off the main path: {others.map(stateWords).join(', ')}.</p>}
    </div>
  );
}

function Custody({ entries }: { entries: CustodyEntry[] }) {
  return (
    <table class="rows custody">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Action</th>
          <th scope="col">State</th>
          <th scope="col">Who</th>
          <th scope="col">Role</th>
          <th scope="col">From where</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((h, i) => (
          <tr key={`${i}-${h.request_id}`} data-custody={h.action}>
            <td data-label="When">
              <time dateTime={h.at}>{instant(h.at)}</time>
            </td>
            <td data-label="Action">
              {actionWords(h.action)}
              {h.action === 'set_location' && h.data ? ` (${String(h.data.plate)} · ${String(h.data.well)})` : ''}
            </td>
            <td data-label="State">{h.from && h.from !== h.to ? `${stateWords(h.from)} → ${stateWords(h.to)}` : stateWords(h.to)}</td>
            <td data-label="Who">{h.actor}</td>
            <td data-label="Role">{h.role}</td>
            <td data-label="From where">
              <div>
                {h.ip}
                <span class="id">request {h.request_id}</span>
              </div>
            </td>
            <td data-label="Why">{h.reason ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The specimen's runs; an open run's time bound counts down each second (the server times it out at its deadline). */
function Analyses({ runs }: { runs: AnalysisRun[] }) {
  const now = useSignal(Date.now());
  const counting = runs.some((r) => OPEN_RUN.includes(r.state) && r.deadline);
  useEffect(() => {
    if (!counting) return;
    const timer = setInterval(() => (now.value = Date.now()), 1000);
    return () => clearInterval(timer);
  }, [counting]);
  if (runs.length === 0) return <p class="empty">No analysis run yet: one starts when the experiment is finished.</p>;
  return (
    <table class="rows analyses">
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Pipeline</th>
          <th scope="col">Status</th>
          <th scope="col">Time bound</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const left = OPEN_RUN.includes(r.state) ? timeLeft(r.deadline, now.value) : null;
          return (
            <tr key={r.id} data-analysis={r.id}>
              <td data-label="Run" class="title">
                <div>
                  {r.id}
                  <span class="id">requested {instant(r.requested_at)}</span>
                </div>
              </td>
              <td data-label="Pipeline">{r.pipeline ?? 'manual'}</td>
              <td data-label="Status">
                <div>
                  <span class={`status run-${r.state}`}>{r.state.replace(/_/g, ' ')}</span>
                  {r.failure_reason && <span class="id">{r.failure_reason}</span>}
                </div>
              </td>
              <td data-label="Time bound">
                {left ? (
                  <span class={left.overdue ? 'countdown overdue' : 'countdown'}>
                    {left.text}
                    <span class="id">
                      until <time dateTime={r.deadline!}>{instant(r.deadline)}</time>
                    </span>
                  </span>
                ) : r.finished_at ? (
                  <span>
                    ended <time dateTime={r.finished_at}>{instant(r.finished_at)}</time>
                  </span>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
