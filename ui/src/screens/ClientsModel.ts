// Clients and their contacts as the screens show them (docs/domain.md, Clients). The API is
// the one home of every rule (a code's form, a valid email, who may edit): this file only
// names the shapes, turns the form's rows into a request body and reads addresses typed in
// a list.

export interface Contact {
  name: string;
  email: string;
  /** Reports go to this contact by default. */
  receives_reports: boolean;
}

/** A client as GET /api/v1/clients and /clients/{code} answer it. */
export interface Client {
  code: string;
  name: string;
  address: string | null;
  contacts: Contact[];
  created_at: string;
  updated_at: string;
}

/** The client's contacts who get its reports by default. */
export const reportContacts = (client: Client) => client.contacts.filter((c) => c.receives_reports);

/** "Ada Lovelace <ada@acme.example>". */
export const mailbox = (c: Contact) => `${c.name} <${c.email}>`;

/** One contact row of the form, as typed; `key` keeps a row's identity while rows are added and removed. */
export interface ContactDraft extends Contact {
  key: number;
}

/**
 * The body of POST /clients (with the code) or PUT /clients/{code} (without: the code is fixed).
 * Rows left wholly empty are dropped, so an added row the user did not fill is not an error;
 * a half-filled row is sent and the API names what is missing (contacts[i].email).
 */
export function clientBody(form: { code?: string; name: string; address: string; contacts: ContactDraft[] }): Record<string, unknown> {
  const contacts = form.contacts
    .filter((c) => c.name.trim() || c.email.trim())
    .map((c) => ({ name: c.name.trim(), email: c.email.trim(), receives_reports: c.receives_reports }));
  const body: Record<string, unknown> = { name: form.name.trim(), contacts };
  if (form.code !== undefined) body.code = form.code.trim().toUpperCase();
  if (form.address.trim()) body.address = form.address.trim();
  return body;
}

/**
 * The API names a contact's problem by the index of the contact it received (contacts[2].email);
 * the form dropped the empty rows, so that index is mapped back to the row the user sees.
 */
export function contactRowOf(field: string, drafts: ContactDraft[]): { key: number; part: string } | null {
  const m = /^contacts\[(\d+)\]\.?(\w*)$/.exec(field);
  if (!m) return null;
  const sent = drafts.filter((c) => c.name.trim() || c.email.trim());
  const row = sent[Number(m[1])];
  return row ? { key: row.key, part: m[2] || 'name' } : null;
}

/** Addresses typed in one field, separated by commas, semicolons, spaces or line breaks. */
export const addressList = (text: string) => text.split(/[\s,;]+/).filter(Boolean);
