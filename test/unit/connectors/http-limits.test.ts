import { describe, expect, it } from 'vitest';
import { createLimiter, minTimeFor, RATE_HEADROOM, type LimiterClock } from '../../../src/connectors/http/limits.ts';

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

/**
 * A virtual clock: time moves only when the limiter sleeps or a test says the event
 * loop stalled, so the spacing is checked to the millisecond on any machine, however
 * loaded. `oversleep` makes every timer fire late by that much, as on a busy host.
 */
function virtualClock(oversleep = 0): LimiterClock & { stall(ms: number): void } {
  let t = 1_000;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms + oversleep;
    },
    stall: (ms) => {
      t += ms;
    },
  };
}

const gaps = (starts: number[]) => starts.slice(1).map((s, i) => s - starts[i]!);

describe('createLimiter', () => {
  it('spaces request starts so the rate is never exceeded (20 req/s over 10 requests)', async () => {
    const clock = virtualClock();
    const limiter = createLimiter({ requestsPerSecond: 20 }, clock);
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 10 }, () => limiter.schedule(async () => void starts.push(clock.now()))));
    // 1000 ms / 20 = 50 ms, 1 % slower = 50.5, rounded up to whole milliseconds.
    expect(gaps(starts)).toEqual(Array(9).fill(51));
  });

  it('keeps the spacing on real start times when timers fire late: no burst afterwards', async () => {
    const clock = virtualClock(7);
    const limiter = createLimiter({ requestsPerSecond: 20 }, clock);
    const starts: number[] = [];
    const jobs = Array.from({ length: 6 }, (_, i) =>
      limiter.schedule(async () => {
        starts.push(clock.now());
        // The event loop is busy for 300 ms after the second start: every turn booked meanwhile is due at once.
        if (i === 1) clock.stall(300);
      }),
    );
    await Promise.all(jobs);
    expect(starts).toHaveLength(6);
    // The floor is the documented rate itself (50 ms), whatever the lateness.
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(50);
    // After the stall the next start goes at once (its turn is long past), the one after a full turn later.
    expect(starts[2]! - starts[1]!).toBe(300);
    expect(starts[3]! - starts[2]!).toBeGreaterThanOrEqual(51);
  });

  it("starts an idle limiter's first request at once", async () => {
    const clock = virtualClock();
    const limiter = createLimiter({ requestsPerMinute: 60 }, clock);
    const t0 = clock.now();
    let started: number | undefined;
    await limiter.schedule(async () => void (started = clock.now()));
    expect(started).toBe(t0);
  });

  it('also paces schedule(options, fn, ...args)', async () => {
    const clock = virtualClock();
    const limiter = createLimiter({ requestsPerSecond: 20 }, clock);
    const starts: number[] = [];
    const add = async (a: number, b: number) => {
      starts.push(clock.now());
      return a + b;
    };
    const sums = await Promise.all([limiter.schedule({ id: 'a' }, add, 1, 2), limiter.schedule({ id: 'b' }, add, 3, 4)]);
    expect(sums).toEqual([3, 7]);
    expect(gaps(starts)).toEqual([51]);
  });

  it('paces on the real clock too (a lower bound only: a loaded machine makes the gaps longer, never shorter)', async () => {
    const limiter = createLimiter({ requestsPerSecond: 20 });
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 4 }, () => limiter.schedule(async () => void starts.push(performance.now()))));
    for (const gap of gaps(starts)) expect(gap).toBeGreaterThanOrEqual(50);
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
