/**
 * The sandbox's rate limiter: a sliding window of accepted calls (so a burst
 * over `limit` in any `windowSeconds` is refused, like Partner Center's
 * per-tenant limits) and, independently, a deterministic "every Nth call"
 * refusal so a benchmark can count on exactly one 429 in N.
 *
 * @example
 *   const t = new Throttle({ limit: 10 }, Date.now);
 *   const wait = t.admit(); // 0 = go ahead, otherwise Retry-After seconds
 */
import type { ThrottleOptions } from './interfaces.ts';

export class Throttle {
  #options: ThrottleOptions = {};
  #accepted: number[] = [];
  #head = 0;
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
    this.#accepted = [];
    this.#head = 0;
    this.#seen = 0;
  }

  /** Counts the call; returns 0 to serve it, or the Retry-After in whole seconds. */
  admit(): number {
    const { limit, everyNth } = this.#options;
    this.#seen++;
    if (everyNth && everyNth > 0 && this.#seen % everyNth === 0) return Math.ceil(this.#options.everyNthRetryAfterSeconds ?? 1);
    const now = this.#clock();
    if (limit !== undefined && limit > 0) {
      const windowMs = (this.#options.windowSeconds ?? 1) * 1000;
      while (this.#head < this.#accepted.length && (this.#accepted[this.#head] as number) <= now - windowMs) this.#head++;
      if (this.#head > 1024) {
        this.#accepted = this.#accepted.slice(this.#head);
        this.#head = 0;
      }
      if (this.#accepted.length - this.#head >= limit) {
        // The next slot frees when the oldest accepted call leaves the window; Microsoft sends whole seconds.
        const oldest = this.#accepted[this.#head] as number;
        return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      }
    }
    this.#accepted.push(now);
    return 0;
  }
}
