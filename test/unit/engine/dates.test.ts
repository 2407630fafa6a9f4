import { describe, expect, it } from 'vitest';
import { addDays, addMonthsClamped, daysInclusive, daysInMonth, periodBounds, periodOf, toDayNumber } from '../../../src/engine/dates.ts';
import { EngineError } from '../../../src/engine/errors.ts';

describe('calendar helpers', () => {
  it.each([
    [2026, 2, 28],
    [2024, 2, 29], // divisible by 4
    [1900, 2, 28], // century, not divisible by 400
    [2000, 2, 29], // divisible by 400
    [2026, 4, 30],
    [2026, 12, 31],
  ])('%i-%i has %i days', (year, month, days) => {
    expect(daysInMonth(year, month)).toBe(days);
  });

  it('bounds a billing period', () => {
    expect(periodBounds('2024-02')).toEqual({ period: '2024-02', start: '2024-02-01', end: '2024-02-29', days: 29 });
    expect(periodBounds('2026-06')).toEqual({ period: '2026-06', start: '2026-06-01', end: '2026-06-30', days: 30 });
    expect(periodOf('2026-03-07')).toBe('2026-03');
  });

  it('counts days inclusively and steps over month and leap-day ends', () => {
    expect(daysInclusive('2026-06-16', '2026-06-30')).toBe(15); // 30 − 16 + 1
    expect(daysInclusive('2024-01-15', '2025-01-14')).toBe(366); // spans 29 Feb 2024
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(toDayNumber('1970-01-02')).toBe(1);
  });

  it('adds months clamped to a shorter month', () => {
    expect(addMonthsClamped('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonthsClamped('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonthsClamped('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonthsClamped('2026-03-15', 36)).toBe('2029-03-15');
    expect(addMonthsClamped('2026-11-30', 2)).toBe('2027-01-30');
  });

  it('rejects what is not a calendar date or period', () => {
    expect(() => toDayNumber('2026-02-29')).toThrow(EngineError);
    expect(() => toDayNumber('2026-2-1')).toThrow(/expected YYYY-MM-DD/);
    expect(() => periodBounds('2026-13')).toThrow(/Invalid billing period "2026-13"/);
  });
});
