import { describe, expect, it } from 'vitest';
import { monthIn } from '../../src/jobs/crm/budget-check.ts';

// An unbilled sync has no period: the check takes the month it is in the billing time zone.
describe('monthIn', () => {
  it('23:30 UTC on 31 October is already November in Berlin (UTC+1 in winter)', () => expect(monthIn(new Date('2026-10-31T23:30:00Z'), 'Europe/Berlin')).toBe('2026-11'));
  it('and still October in UTC', () => expect(monthIn(new Date('2026-10-31T23:30:00Z'), 'UTC')).toBe('2026-10'));
  it('and in New York (UTC−4)', () => expect(monthIn(new Date('2026-11-01T02:00:00Z'), 'America/New_York')).toBe('2026-10'));
});
