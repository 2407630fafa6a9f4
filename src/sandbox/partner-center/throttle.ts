/**
 * The sandbox's rate limiter: a sliding window of accepted calls per key (so a
 * burst over `limit` in any `windowSeconds` is refused). Partner Center keeps a
 * window per API, per partner tenant or per partner and customer tenant, so the
 * guard keys calls by their route and customer: a busy customer's subscriptions
 * do not use up another's, nor the invoices API's. Independently, a deterministic
 * "every Nth call" refusal, counted over all calls, lets a benchmark count on
 * exactly one 429 in N.
 *
 * @example
 *   const t = new Throttle({ limit: 10 }, Date.now);
 *   const wait = t.admit('GET /v1/customers/:customerId/subscriptions|<tenant>'); // 0 = go ahead, otherwise Retry-After seconds
 */
import type { ThrottleOptions } from './interfaces.ts';

export class Throttle {
  #options: ThrottleOptions = {};
  readonly #windows = new Map<string, { accepted: number[]; head: number }>();
  #seen = 0;
  readonly #clock: () => number;

  constructor(options: ThrottleOptions, clock: () => number) {
    this.#clock = clock;
    this.configure(options);
  }

  get options(): ThrottleOptions {
    return { ...this.#options };
  }

  /** Replaces the options and starts a fresh window and call count. */
  configure(options: ThrottleOptions): void {
    for (const key of ['limit', 'windowSeconds', 'everyNth', 'everyNthRetryAfterSeconds'] as const) {
      const v = options[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`throttle.${key} must be a non-negative number`);
    }
    this.#options = { ...options };
    this.#windows.clear();
    this.#seen = 0;
  }

  /** Counts the call against `key`'s window; returns 0 to serve it, or the Retry-After in whole seconds. */
  admit(key = ''): number {
    const { limit, everyNth } = this.#options;
    this.#seen++;
    if (everyNth && everyNth > 0 && this.#seen % everyNth === 0) return Math.ceil(this.#options.everyNthRetryAfterSeconds ?? 1);
    const now = this.#clock();
    let window = this.#windows.get(key);
    if (!window) this.#windows.set(key, (window = { accepted: [], head: 0 }));
    if (limit !== undefined && limit > 0) {
      const windowMs = (this.#options.windowSeconds ?? 1) * 1000;
      while (window.head < window.accepted.length && (window.accepted[window.head] as number) <= now - windowMs) window.head++;
      if (window.head > 1024) {
        window.accepted = window.accepted.slice(window.head);
        window.head = 0;
      }
      if (window.accepted.length - window.head >= limit) {
        // The next slot frees when the oldest accepted call leaves the window; Microsoft sends whole seconds.
        const oldest = window.accepted[window.head] as number;
        return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      }
    }
    window.accepted.push(now);
    return 0;
  }
}
