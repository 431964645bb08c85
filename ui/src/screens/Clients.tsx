import { useSignal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { get, Problem } from '../api';
import { usePaged } from '../components/usePaged';
import { instant } from '../format';
import { navigate, segment } from '../router';
import { can } from '../session';
import { Client, mailbox, reportContacts } from './ClientsModel';
import { ClientForm } from './ClientsForm';
import './Clients.css';

const PAGE_SIZE = 25;

/** The Clients screen: the list at /clients, one client with its contacts at /clients/<code>. */
export function Clients({ rest }: { rest: string }) {
  const code = segment(rest.replace(/^\/+/, ''));
  return <div class="clients">{code ? <ClientDetail key={code} code={code} /> : <ClientList />}</div>;
}

function go(to: string) {
  return (e: Event) => {
    e.preventDefault();
    navigate(to);
  };
}

/**
 * Clients by code, a page at a time. The API has no search over clients (only their code
 * order), so the screen offers what it can answer exactly: open a client by its code.
 */
function ClientList() {
  const creating = useSignal(false);
  const list = usePaged<Client>(`/api/v1/clients?limit=${PAGE_SIZE}`, (c) => c.code);
  return (
    <>
      <section class="screen" aria-labelledby="clients-heading">
        <div class="screen-head">
          <h2 id="clients-heading">All clients</h2>
          {can('clients.create') && (
            <button type="button" class="primary" onClick={() => (creating.value = true)}>
              Create client
            </button>
          )}
        </div>
        <FindByCode />
        {list.error.value && (
          <p class="error" role="alert">
            {list.error.value}
          </p>
        )}
        <table class="rows client-rows">
          <thead>
            <tr>
              <th scope="col">Client</th>
              <th scope="col">Reports go to</th>
              <th scope="col">Contacts</th>
              <th scope="col">Changed</th>
            </tr>
          </thead>
          <tbody>
            {list.rows.value.map((c) => {
              const receiving = reportContacts(c);
              return (
                <tr key={c.code} data-client={c.code}>
                  <td data-label="Client" class="title">
                    <div>
                      <a href={`/clients/${c.code}`} onClick={go(`/clients/${c.code}`)}>
                        {c.name}
                      </a>
                      <span class="id">{c.code}</span>
                    </div>
                  </td>
                  <td data-label="Reports go to">{receiving.length ? receiving.map((r) => r.email).join(', ') : <span class="empty">nobody by default</span>}</td>
                  <td data-label="Contacts">{c.contacts.length}</td>
                  <td data-label="Changed">
                    <time dateTime={c.updated_at}>{instant(c.updated_at)}</time>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {!list.loading.value && list.rows.value.length === 0 && !list.error.value && <p class="empty">No client yet.</p>}
        <div class="more">
          {list.loading.value && <span role="status">Loading…</span>}
          {!list.loading.value && list.cursor.value && (
            <button type="button" onClick={() => void list.more()}>
              Show more
            </button>
          )}
        </div>
      </section>
      {creating.value && (
        <ClientForm
          onClose={() => (creating.value = false)}
          onSaved={(c) => {
            creating.value = false;
            navigate(`/clients/${c.code}`);
          }}
        />
      )}
    </>
  );
}

/** Opens a client by its exact code (GET /clients/{code}); a code the API does not know is said at the field. */
function FindByCode() {
  const value = useSignal('');
  const message = useSignal<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  async function open(e: Event) {
    e.preventDefault();
    const code = value.value.trim().toUpperCase();
    if (!code) return;
    message.value = null;
    try {
      await get<Client>(`/api/v1/clients/${encodeURIComponent(code)}`);
      navigate(`/clients/${code}`);
    } catch (f) {
      message.value = f instanceof Problem && f.status === 404 ? `No client has the code ${code}.` : f instanceof Problem && f.status === 400 ? f.at('code') ?? f.detail : String(f instanceof Error ? f.message : f);
      input.current?.select();
    }
  }
  return (
    <form class="find-client" role="search" aria-label="Open a client by code" onSubmit={open}>
      <label for="find-client-code">Open a client by code</label>
      <div class="find-row">
        <input
          id="find-client-code"
          ref={input}
          value={value.value}
          onInput={(e) => (value.value = e.currentTarget.value)}
          autoComplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          placeholder="ACME-LABS"
          aria-invalid={message.value ? true : undefined}
          aria-describedby={message.value ? 'find-client-code-error' : undefined}
        />
        <button type="submit">Open</button>
      </div>
      {message.value && (
        <p id="find-client-code-error" class="field-error" role="alert">
          {message.value}
        </p>
      )}
    </form>
  );
}

/** One client from its entity (as it is now): name, address, contacts; Edit for admins. */
function ClientDetail({ code }: { code: string }) {
  const client = useSignal<Client | null>(null);
  const failure = useSignal<string | null>(null);
  const editing = useSignal(false);
  const saved = useSignal(false);

  useEffect(() => {
    get<Client>(`/api/v1/clients/${encodeURIComponent(code)}`)
      .then((c) => (client.value = c))
      .catch((f) => {
        failure.value =
          f instanceof Problem && f.status === 404 ? `No client has the code ${code}.`
          : f instanceof Problem && f.status === 400 ? `${code} is not a client code (2-16 upper-case letters, digits or '-').`
          : f instanceof Error ? f.message : String(f);
      });
  }, [code]);

  const back = (
    <a class="back" href="/clients" onClick={go('/clients')}>
      All clients
    </a>
  );
  if (failure.value) {
    return (
      <section class="screen" aria-labelledby="client-heading">
        <h2 id="client-heading">Client {code}</h2>
        <p class="error" role="alert">
          {failure.value}
        </p>
        {back}
      </section>
    );
  }
  const c = client.value;
  if (!c) return <p role="status">Loading {code}…</p>;
  return (
    <section class="screen client-page" aria-labelledby="client-heading">
      <div class="screen-head">
        <div>
          <h2 id="client-heading">{c.name}</h2>
          <p class="client-code">{c.code}</p>
        </div>
        <div class="head-actions">
          {can('clients.edit') && (
            <button type="button" class="primary" onClick={() => ((editing.value = true), (saved.value = false))}>
              Edit client
            </button>
          )}
          {back}
        </div>
      </div>
      {saved.value && (
        <p class="notice notice-ok" role="status">
          Saved.
        </p>
      )}
      <dl class="facts">
        <div>
          <dt>Address</dt>
          <dd class="address">{c.address ?? '—'}</dd>
        </div>
        <div>
          <dt>Reports go to</dt>
          <dd>{reportContacts(c).map(mailbox).join(', ') || 'nobody by default: name recipients on each specimen'}</dd>
        </div>
        <div>
          <dt>Changed</dt>
          <dd>
            <time dateTime={c.updated_at}>{instant(c.updated_at)}</time>
          </dd>
        </div>
      </dl>
      <h3 class="contacts-heading">Contacts</h3>
      {c.contacts.length === 0 ? (
        <p class="empty">No contact.</p>
      ) : (
        <table class="rows contact-rows">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Gets reports</th>
            </tr>
          </thead>
          <tbody>
            {c.contacts.map((k) => (
              <tr key={k.email} data-contact={k.email}>
                <td data-label="Name" class="title">
                  {k.name}
                </td>
                <td data-label="Email">{k.email}</td>
                <td data-label="Gets reports">{k.receives_reports ? 'yes, by default' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing.value && (
        <ClientForm
          client={c}
          onClose={() => (editing.value = false)}
          onSaved={(next) => {
            client.value = next;
            editing.value = false;
            saved.value = true;
          }}
        />
      )}
    </section>
  );
}
