import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../src/connectors/http/retry.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-10-21T07:28:00Z');

  it('reads delta-seconds as milliseconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('57', now)).toBe(57_000);
    expect(parseRetryAfter(' 2 ', now)).toBe(2_000);
    expect(parseRetryAfter('1.5', now)).toBe(1_500);
    // A bare number is always seconds, never a year.
    expect(parseRetryAfter('2026', now)).toBe(2_026_000);
  });

  it('reads an HTTP-date as the time left until it', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:30 GMT', new Date(now))).toBe(30_000);
  });

  it('treats an HTTP-date in the past as no wait', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:27:00 GMT', now)).toBe(0);
  });

  it('returns undefined for a missing or unreadable header, so the caller backs off instead', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('Wed, 99 Foo 2026 07:28:30 GMT', now)).toBeUndefined();
  });
});

describe('backoffDelay (full jitter)', () => {
  const base = { baseMs: 500, maxMs: 30_000 };

  it('doubles the window with every failed attempt', () => {
    const top = () => 0.999_999;
    expect(backoffDelay(1, { ...base, random: top })).toBe(499);
    expect(backoffDelay(2, { ...base, random: top })).toBe(999);
    expect(backoffDelay(3, { ...base, random: top })).toBe(1_999);
    expect(backoffDelay(4, { ...base, random: top })).toBe(3_999);
  });

  it('picks uniformly inside the window', () => {
    expect(backoffDelay(3, { ...base, random: () => 0 })).toBe(0);
    expect(backoffDelay(3, { ...base, random: () => 0.5 })).toBe(1_000);
    expect(backoffDelay(3, { ...base, random: () => 0.25 })).toBe(500);
  });

  it('never exceeds maxMs, even after very many attempts', () => {
    expect(backoffDelay(7, { ...base, random: () => 0.999_999 })).toBe(29_999);
    expect(backoffDelay(2_000, { ...base, random: () => 0.999_999 })).toBe(29_999);
  });

  it('spreads real random values across the window', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(4, base));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(4_000);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });
});
