// The one door to /api/v1. The access token lives only in this module's memory; the refresh
// token is an HttpOnly cookie the browser sends to /api/v1/auth/refresh alone, so no script
// on the page can read it. A 401 is answered by one refresh through the cookie and one retry.

export interface FieldProblem {
  field: string;
  message: string;
}

/** An API failure as application/problem+json describes it (docs/api.md). */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: FieldProblem[] = [],
  ) {
    super(detail);
  }

  /** The message for one field, for showing it at that field. */
  at(field: string): string | undefined {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

let accessToken: string | null = null;
let refreshing: Promise<Refreshed> | null = null;

/** Called when a refresh fails: the session is over and the login screen shows. */
let onSignedOut: () => void = () => {};

export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

async function problemOf(response: Response): Promise<Problem> {
  try {
    const body = await response.json();
    return new Problem(response.status, body.detail ?? response.statusText, Array.isArray(body.errors) ? body.errors : []);
  } catch {
    return new Problem(response.status, `${response.status} ${response.statusText}`);
  }
}

/** Logs in; the refresh token comes back as the HttpOnly cookie, never in the body. */
export async function login(username: string, password: string): Promise<void> {
  const response = await fetch('/api/v1/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, refresh_cookie: true }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw await problemOf(response);
  accessToken = (await response.json()).access_token;
}

/**
 * What a refresh through the cookie came to: a new access token; refused (no cookie, or its
 * token expired or was revoked: the session is over); or unreachable (the node did not answer
 * or failed: the session may well be fine, so the user is not sent to the login screen).
 */
export type Refreshed = 'renewed' | 'refused' | 'unreachable';

/** A new access token from the refresh cookie. Concurrent callers share one request. */
export function refresh(): Promise<Refreshed> {
  refreshing ??= fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' })
    .then(async (response): Promise<Refreshed> => {
      if (response.ok) {
        accessToken = (await response.json()).access_token;
        return 'renewed';
      }
      if (response.status === 400 || response.status === 401) {
        accessToken = null;
        return 'refused';
      }
      return 'unreachable';
    })
    .catch((): Refreshed => 'unreachable')
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Revokes the refresh token (the cookie) and forgets the access token. */
export async function logout(): Promise<void> {
  accessToken = null;
  await fetch('/api/v1/auth/refresh', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
}

async function send(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...extra };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
}

/**
 * Sends a request with the access token; a 401 is answered by one refresh and one retry. The
 * session ends only when the refresh is refused: a node that is restarting keeps the user
 * signed in, and the call fails like any other for the caller to retry.
 */
async function authorized(open: () => Promise<Response>): Promise<Response> {
  let response = await open();
  if (response.status !== 401) return response;
  const refreshed = await refresh();
  if (refreshed === 'renewed') response = await open();
  if (refreshed === 'refused' || response.status === 401) {
    accessToken = null;
    onSignedOut();
  }
  return response;
}

/** A key for one user intent (one form's submit, however often it is retried): the API creates once per key. */
export function idempotencyKey(): string {
  // getRandomValues works on plain http too, where crypto.randomUUID is not offered.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * One create a form makes, however often its submit is retried: the same key until the API
 * gives a definite answer (a refusal below 500: the user changes the form, which is a new
 * request), a new one after it. A lost answer or a 5xx keeps the key, so submitting again
 * cannot create twice.
 */
export class CreateIntent {
  private key = idempotencyKey();

  get current(): string {
    return this.key;
  }

  answered(failure: unknown): void {
    if (failure instanceof Problem && failure.status > 0 && failure.status < 500) this.key = idempotencyKey();
  }
}

/**
 * One API call; a Problem when the answer is not 2xx. A create passes the form's
 * `idempotencyKey` so that a retry after a lost answer cannot create twice.
 */
export async function call<T>(method: string, path: string, body?: unknown, options: { idempotencyKey?: string } = {}): Promise<T> {
  const extra: Record<string, string> = options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : {};
  const response = await authorized(() => send(method, path, body, extra));
  if (!response.ok) throw await problemOf(response);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/**
 * A file the API streams (an execution-log export), read with the access token in the
 * Authorization header like any call: the token never goes into a URL, where logs and
 * history would keep it.
 */
export async function fetchFile(path: string, accept: string): Promise<Blob> {
  const response = await authorized(() => {
    const headers: Record<string, string> = { Accept: accept };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    return fetch(path, { headers, credentials: 'same-origin' });
  });
  if (!response.ok) throw await problemOf(response);
  return response.blob();
}

/**
 * Opens GET /api/v1/events, resuming after lastId; a 401 (the access token expired) is
 * answered by one refresh through the cookie and one retry, like any call.
 */
export async function openEventStream(lastId: string | undefined, signal: AbortSignal): Promise<Response> {
  const open = () => {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
    if (lastId) headers['Last-Event-ID'] = lastId;
    return fetch('/api/v1/events', { headers, signal, credentials: 'same-origin', cache: 'no-store' });
  };
  return authorized(open);
}
