import { describe, expect, it } from 'vitest';
import { createLimiter, minTimeFor, RATE_HEADROOM } from '../../../src/connectors/http/limits.ts';

describe('minTimeFor', () => {
  it('spaces requests evenly, 1 % under the documented rate', () => {
    expect(RATE_HEADROOM).toBe(0.01);
    expect(minTimeFor({ requestsPerMinute: 500 })).toBe(122); // 120 at the limit
    expect(minTimeFor({ requestsPerSecond: 20 })).toBe(51); // 50 at the limit
    expect(minTimeFor({ requestsPerMinute: 7 })).toBe(8_658); // rounded up: never faster than allowed
  });

  it('takes the stricter of two limits', () => {
    expect(minTimeFor({ requestsPerSecond: 20, requestsPerMinute: 600 })).toBe(101);
    expect(minTimeFor({ requestsPerSecond: 5, requestsPerMinute: 6_000 })).toBe(202);
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

  it('keeps the spacing on real start times when a busy event loop delays them: no burst afterwards', async () => {
    const limiter = createLimiter({ requestsPerSecond: 20 });
    const starts: number[] = [];
    const jobs = Array.from({ length: 6 }, () => limiter.schedule(async () => void starts.push(performance.now())));
    // Let the limiter book the jobs' turns, then block the event loop for several turns.
    await new Promise((resolve) => setTimeout(resolve, 60));
    const blockedUntil = performance.now() + 300;
    while (performance.now() < blockedUntil) {
      // busy: timers due meanwhile all fire late, together
    }
    await Promise.all(jobs);
    // Bottleneck's minTime alone starts the four booked jobs within a millisecond here; the floor is the documented rate itself.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(50);
  });

  it("starts an idle limiter's first request at once", async () => {
    const limiter = createLimiter({ requestsPerMinute: 60 });
    const t0 = performance.now();
    await limiter.schedule(async () => {});
    expect(performance.now() - t0).toBeLessThan(50);
  });

  it('also paces schedule(options, fn, ...args)', async () => {
    const limiter = createLimiter({ requestsPerSecond: 20 });
    const starts: number[] = [];
    const add = async (a: number, b: number) => {
      starts.push(performance.now());
      return a + b;
    };
    const sums = await Promise.all([limiter.schedule({ id: 'a' }, add, 1, 2), limiter.schedule({ id: 'b' }, add, 3, 4)]);
    expect(sums).toEqual([3, 7]);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(50);
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
