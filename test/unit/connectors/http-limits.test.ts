import { describe, expect, it } from 'vitest';
import { createLimiter, minTimeFor } from '../../../src/connectors/http/limits.ts';

describe('minTimeFor', () => {
  it('spaces requests evenly at the documented rate', () => {
    expect(minTimeFor({ requestsPerMinute: 500 })).toBe(120);
    expect(minTimeFor({ requestsPerSecond: 20 })).toBe(50);
    expect(minTimeFor({ requestsPerMinute: 7 })).toBe(8_572); // rounded up: never faster than allowed
  });

  it('takes the stricter of two limits', () => {
    expect(minTimeFor({ requestsPerSecond: 20, requestsPerMinute: 600 })).toBe(100);
    expect(minTimeFor({ requestsPerSecond: 5, requestsPerMinute: 6_000 })).toBe(200);
  });

  it('imposes no spacing when the vendor documents none', () => {
    expect(minTimeFor({})).toBe(0);
    expect(minTimeFor({ maxConcurrent: 4 })).toBe(0);
  });

  it('rejects nonsense limits instead of silently not limiting', () => {
    expect(() => minTimeFor({ requestsPerMinute: 0 })).toThrow(RangeError);
    expect(() => minTimeFor({ requestsPerSecond: -1 })).toThrow(RangeError);
    expect(() => createLimiter({ maxConcurrent: 0 })).toThrow(RangeError);
  });
});

describe('createLimiter', () => {
  it('spaces request starts so the rate is never exceeded (20 req/s over 10 requests)', async () => {
    const limiter = createLimiter({ requestsPerSecond: 20 });
    const starts: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.schedule(async () => {
          starts.push(performance.now());
        }),
      ),
    );
    // Nine gaps of at least 50 ms; a little slack for timer granularity only.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(9 * 50 - 5);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(45);
  });

  it('caps concurrent requests', async () => {
    const limiter = createLimiter({ maxConcurrent: 2 });
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        limiter.schedule(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 10));
          running--;
        }),
      ),
    );
    expect(peak).toBe(2);
  });
});
