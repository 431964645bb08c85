// Turning API values into words a lab user reads. The server's own reading (the preview
// endpoint) is the authority on what a cron fires; this is only the list's short label.

export interface Schedule {
  at?: string;
  cron?: string;
  timezone?: string;
}

const when = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});

/** An instant in the browser's (the user's) time zone; a dash for none. */
export function instant(iso: string | null | undefined): string {
  return iso ? when.format(new Date(iso)) : '—';
}

const two = (n: string) => n.padStart(2, '0');
const number = /^\d{1,2}$/;
const DAYS: Record<string, string> = {
  'MON-FRI': 'every weekday',
  '2-6': 'every weekday',
  'SAT,SUN': 'every weekend day',
  MON: 'every Monday',
  TUE: 'every Tuesday',
  WED: 'every Wednesday',
  THU: 'every Thursday',
  FRI: 'every Friday',
  SAT: 'every Saturday',
  SUN: 'every Sunday',
};

/** "every day at 06:00 Europe/Berlin" for the common shapes; the expression itself otherwise. */
export function scheduleInWords(s: Schedule): string {
  if (s.at) return `once, ${instant(s.at)}`;
  const cron = (s.cron ?? '').trim();
  const zone = s.timezone ?? '';
  const [sec, min, hour, dom, month, dow] = cron.split(/\s+/);
  const everyDay = (dom === '*' || dom === '?') && month === '*';
  if (sec === '0' && number.test(min ?? '') && number.test(hour ?? '') && everyDay) {
    const days = dow === '?' || dow === '*' ? 'every day' : DAYS[dow?.toUpperCase() ?? ''];
    if (days) return `${days} at ${two(hour)}:${two(min)} ${zone}`;
  }
  const step = /^(?:0|\*)\/(\d+)$/.exec(min ?? '');
  if (sec === '0' && step && hour === '*' && everyDay && (dow === '?' || dow === '*')) {
    return `every ${step[1]} minutes (${zone})`;
  }
  return `cron ${cron} (${zone})`;
}
