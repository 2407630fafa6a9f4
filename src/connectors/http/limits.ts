import Bottleneck from 'bottleneck';

/** A vendor's documented request budget for one connection (one partner tenant, one API key...). */
export interface VendorLimits {
  requestsPerMinute?: number;
  requestsPerSecond?: number;
  maxConcurrent?: number;
}

/**
 * The spacing between request starts that keeps every window at or under the
 * documented rate. Even spacing rather than a refilled reservoir: a reservoir lets
 * a full minute's budget go out at the end of one window and again at the start of
 * the next, which a vendor counting over a sliding window sees as double the rate.
 *
 * @example
 * minTimeFor({ requestsPerMinute: 500 }) // 120
 * minTimeFor({ requestsPerSecond: 20, requestsPerMinute: 600 }) // 100 (the stricter one)
 */
export function minTimeFor(limits: VendorLimits): number {
  let minTime = 0;
  if (limits.requestsPerSecond !== undefined) minTime = Math.max(minTime, 1000 / positive(limits.requestsPerSecond, 'requestsPerSecond'));
  if (limits.requestsPerMinute !== undefined) minTime = Math.max(minTime, 60_000 / positive(limits.requestsPerMinute, 'requestsPerMinute'));
  return Math.ceil(minTime);
}

/**
 * One limiter per connection: the caller creates it when it opens the connection
 * and hands the same instance to every client that talks to that vendor account,
 * so all of their requests share the account's budget.
 *
 * @example
 * const limiter = createLimiter({ requestsPerMinute: 500, maxConcurrent: 4 });
 * await limiter.schedule(() => fetch(url));
 */
export function createLimiter(limits: VendorLimits): Bottleneck {
  const maxConcurrent = limits.maxConcurrent === undefined ? null : positive(limits.maxConcurrent, 'maxConcurrent');
  return new Bottleneck({ minTime: minTimeFor(limits), maxConcurrent });
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
