import { setTimeout as delay } from 'node:timers/promises';
import Bottleneck from 'bottleneck';

/** A vendor's documented request budget for one connection (one partner tenant, one API key...). */
export interface VendorLimits {
  requestsPerMinute?: number;
  requestsPerSecond?: number;
  maxConcurrent?: number;
}

/**
 * Headroom kept under a documented rate. Evenly spaced starts at exactly the limit put
 * N + 1 starts exactly one window apart, so any jitter between our clock and the
 * vendor's (scheduling, the network, its own queueing) that brings two of them closer
 * makes a sliding-window server count N + 1 and answer 429: a wasted call and a
 * Retry-After of at least a second. 1 % slower spacing leaves 10 ms a second for it.
 */
export const RATE_HEADROOM = 0.01;

/** The clock the pacing reads and waits on: the real one, or a test's virtual one. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: LimiterClock = { now: () => performance.now(), sleep: (ms) => delay(ms) };

/**
 * The spacing between request starts that keeps every window under the documented
 * rate, with {@link RATE_HEADROOM} to spare. Even spacing rather than a refilled
 * reservoir: a reservoir lets a full minute's budget go out at the end of one window
 * and again at the start of the next, which a vendor counting over a sliding window
 * sees as double the rate.
 *
 * @example
 * minTimeFor({ requestsPerMinute: 500 }) // 122 (120 at the limit, plus headroom)
 * minTimeFor({ requestsPerSecond: 20, requestsPerMinute: 600 }) // 101 (the stricter one)
 */
export function minTimeFor(limits: VendorLimits): number {
  return Math.ceil(exactSpacing(limits) * (1 + RATE_HEADROOM));
}

/** The spacing at exactly the documented rate: the stricter of the two, 0 when none is documented. */
function exactSpacing(limits: VendorLimits): number {
  let spacing = 0;
  if (limits.requestsPerSecond !== undefined) spacing = Math.max(spacing, 1000 / positive(limits.requestsPerSecond, 'requestsPerSecond'));
  if (limits.requestsPerMinute !== undefined) spacing = Math.max(spacing, 60_000 / positive(limits.requestsPerMinute, 'requestsPerMinute'));
  return spacing;
}

/**
 * One limiter per connection: the caller creates it when it opens the connection
 * and hands the same instance to every client that talks to that vendor account,
 * so all of their requests share the account's budget.
 *
 * Bottleneck queues the jobs and caps their concurrency; the spacing is kept on the
 * real start times (see {@link paceStarts}), not on Bottleneck's `minTime`.
 *
 * @example
 * const limiter = createLimiter({ requestsPerMinute: 500, maxConcurrent: 4 });
 * await limiter.schedule(() => fetch(url));
 */
export function createLimiter(limits: VendorLimits, clock: LimiterClock = realClock): Bottleneck {
  const maxConcurrent = limits.maxConcurrent === undefined ? null : positive(limits.maxConcurrent, 'maxConcurrent');
  const limiter = new Bottleneck({ maxConcurrent });
  const every = minTimeFor(limits);
  if (every > 0) paceStarts(limiter, every, exactSpacing(limits), clock);
  return limiter;
}

/**
 * Makes `limiter.schedule` start its jobs `every` ms apart by the clock, and never
 * closer than `floor` ms (the documented rate itself). Bottleneck's `minTime` books
 * each queued job a start time in advance and sets a timer for it; when the event loop
 * is busy (a blob being parsed, a long synchronous step) the timers of several booked
 * jobs fire together and the requests leave in a burst (reproduced in http-limits.test.ts).
 * Here each job waits for the one before it to have really started, then for its own
 * turn, re-reading the clock after every timer, so a late start pushes the next ones
 * back instead of bunching them.
 */
function paceStarts(limiter: Bottleneck, every: number, floor: number, clock: LimiterClock): void {
  let planned = Number.NEGATIVE_INFINITY;
  let started = Number.NEGATIVE_INFINITY;
  let previous: Promise<void> = Promise.resolve();
  const turn = (): Promise<void> => {
    const mine = previous.then(async () => {
      // After a stall, `planned + every` is already past: the floor keeps the next start apart.
      const target = Math.max(clock.now(), planned + every, started + floor);
      for (let wait = target - clock.now(); wait > 0; wait = target - clock.now()) await clock.sleep(wait);
      planned = target;
      started = clock.now();
    });
    previous = mine;
    return mine;
  };
  const schedule = limiter.schedule.bind(limiter) as (...args: unknown[]) => Promise<unknown>;
  limiter.schedule = ((...args: unknown[]) => {
    // schedule(fn, ...args) or schedule(options, fn, ...args)
    const at = typeof args[0] === 'function' ? 0 : 1;
    const job = args[at] as (...jobArgs: unknown[]) => PromiseLike<unknown>;
    const paced = [...args];
    paced[at] = async (...jobArgs: unknown[]) => {
      await turn();
      return job(...jobArgs);
    };
    return schedule(...paced);
  }) as Bottleneck['schedule'];
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
