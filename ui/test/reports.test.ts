import { expect, test } from 'vitest';
import { byReport, nextReadIn, ReportJob, ReportVersion, shortHash, size } from '../src/screens/ReportsModel';
import { clientBody, contactRowOf, ContactDraft, addressList } from '../src/screens/ClientsModel';
import { screensFor } from '../src/roles';

const version = (report_id: string, v: number, at: string): ReportVersion => ({
  report_id, version: v, client_id: 'ACME', specimen_ids: ['SP-2026-000001'], batch_key: null, recipients: [], pages: 1,
  pdf_sha256: 'ab'.repeat(32), xlsx_sha256: 'cd'.repeat(32), pdf_bytes: 1, xlsx_bytes: 1, rendered_at: at, rendered_by: 'n',
  render_ms: 1, pdf_url: '', xlsx_url: '',
});
const job = (status: ReportJob['status'], next = '2026-01-01T00:00:00Z'): ReportJob => ({
  job_id: 1, report_id: 'RP-2026-000001', specimen_ids: [], batch_key: null, status, attempts: 0, next_attempt_at: next,
  last_error: null, version: null, requested_by: 'system', requested_at: next,
});

test('versions are grouped by report, newest version first, the most recently rendered report first', () => {
  const groups = byReport([
    version('RP-2026-000001', 1, '2026-01-01T00:00:00Z'),
    version('RP-2026-000002', 1, '2026-01-03T00:00:00Z'),
    version('RP-2026-000001', 2, '2026-01-02T00:00:00Z'),
  ]);
  expect(groups.map((g) => g.reportId)).toEqual(['RP-2026-000002', 'RP-2026-000001']);
  expect(groups[1].versions.map((v) => v.version)).toEqual([2, 1]);
});

test('the panel reads again every 2 s while a job works, at its next try when it backs off, never while only failed jobs wait', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  expect(nextReadIn([job('rendering')], now)).toBe(2_000);
  expect(nextReadIn([job('queued', '2026-01-01T00:00:07Z')], now)).toBe(7_000);
  expect(nextReadIn([job('queued', '2026-01-01T00:10:00Z')], now)).toBe(15_000);
  expect(nextReadIn([job('failed')], now)).toBeNull();
  expect(nextReadIn([], now)).toBeNull();
});

test('a hash is shortened to 12 digits and sizes read in words', () => {
  expect(shortHash('0123456789abcdef')).toBe('0123456789ab…');
  expect(size(2048)).toBe('2 KB');
  expect(size(3 * 1024 * 1024)).toBe('3.0 MB');
});

test("a client's body drops empty contact rows, and the API's contacts[i] is mapped back to the row the user sees", () => {
  const rows: ContactDraft[] = [
    { key: 7, name: '', email: '', receives_reports: true },
    { key: 8, name: ' Ada ', email: 'ada@x', receives_reports: false },
  ];
  expect(clientBody({ code: 'acme', name: ' Acme ', address: '', contacts: rows })).toEqual({
    code: 'ACME', name: 'Acme', contacts: [{ name: 'Ada', email: 'ada@x', receives_reports: false }],
  });
  expect(contactRowOf('contacts[0].email', rows)).toEqual({ key: 8, part: 'email' });
  expect(contactRowOf('name', rows)).toBeNull();
  expect(addressList('a@x, b@y;c@z\nd@w')).toEqual(['a@x', 'b@y', 'c@z', 'd@w']);
});

test('Clients and Operations are in the navigation when /me grants their routes', () => {
  const can = { 'clients.list': true, 'reports.jobs': true, 'deliveries.list': false };
  expect(screensFor(['technician'], can).map((s) => s.label)).toEqual(['Lab tests', 'Specimens', 'Devices', 'Workflows', 'Alarms', 'Clients', 'Operations']);
  expect(screensFor(['viewer'], { 'clients.list': true }).map((s) => s.label)).toEqual(['Lab tests', 'Specimens', 'Devices', 'Workflows', 'Alarms', 'Clients']);
  expect(screensFor(['scientist'], {}).map((s) => s.label)).not.toContain('Clients');
});
