// Calendar dates and wall-clock times of an instant in an IANA time zone (Intl only).

/** Whether the runtime knows the IANA zone. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function parts(instant: Date, zone: string): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
}

/**
 * The calendar date of an instant in a zone.
 * @example dateIn(new Date('2026-11-30T23:30:00Z'), 'Europe/Berlin') // '2026-12-01'
 */
export function dateIn(instant: Date, zone: string): string {
  const p = parts(instant, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** The wall-clock date and time of an instant in a zone, 'YYYY-MM-DD HH:mm:ss'. */
export function localIn(instant: Date, zone: string): string {
  const p = parts(instant, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * The instant a calendar day starts in a zone (midnight local time; where a DST change
 * skips midnight, the first instant of the day).
 * @example startOfDayIn('2026-12-01', 'Europe/Berlin') // 2026-11-30T23:00:00.000Z
 */
export function startOfDayIn(date: string, zone: string): Date {
  const guess = new Date(`${date}T00:00:00Z`);
  // Two rounds settle the offset, also on the day the offset changes.
  let instant = guess;
  for (let i = 0; i < 2; i++) {
    const local = new Date(`${localIn(instant, zone).replace(' ', 'T')}Z`);
    instant = new Date(instant.getTime() - (local.getTime() - guess.getTime()));
  }
  while (dateIn(new Date(instant.getTime() - 60_000), zone) === date) instant = new Date(instant.getTime() - 60_000);
  while (dateIn(instant, zone) !== date) instant = new Date(instant.getTime() + 60_000);
  return instant;
}
