/**
 * Reads a `Retry-After` header (RFC 9110 §10.2.3) as milliseconds to wait from `now`.
 * Accepts delta-seconds (`"57"`, and leniently `"1.5"`) and an HTTP-date; a date in
 * the past means "now" (0). Anything else is `undefined`, so the caller falls back
 * to its own backoff rather than trusting garbage.
 *
 * @example
 * parseRetryAfter('2', Date.now()) // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:30 GMT')) // 30000
 */
export function parseRetryAfter(header: string | null | undefined, now: number | Date = Date.now()): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Only a real HTTP-date (it always names a weekday and "GMT"); Date.parse alone
  // would also take "-1" or "2" as years.
  if (!/^[A-Za-z]{3},? .*GMT$/.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  const nowMs = typeof now === 'number' ? now : now.getTime();
  return Math.max(0, at - nowMs);
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Uniform in [0, 1); injected so tests are deterministic. */
  random?: () => number;
}

/**
 * "Full jitter" exponential backoff: a uniform wait in [0, min(max, base × 2^(attempt-1))).
 * Spreading retries over the whole window keeps many workers that failed together
 * from retrying together. `attempt` is the 1-based number of the attempt that failed.
 *
 * @example
 * backoffDelay(3, { baseMs: 500, maxMs: 30_000, random: () => 0.5 }) // 1000 (half of 2000)
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const exponent = Math.max(0, attempt - 1);
  // Cap the exponent so 2^n never overflows into Infinity on long retry chains.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(exponent, 52));
  return Math.floor(random() * ceiling);
}
