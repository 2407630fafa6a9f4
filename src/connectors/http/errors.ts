export type VendorCallFailure = 'timeout' | 'network' | 'http' | 'rate_limited' | 'auth' | 'invalid_response';

export interface VendorCallErrorInit {
  vendor: string;
  /** Logical name of the call, e.g. `customers.list`, so a log line says what failed without a URL. */
  call: string;
  method: string;
  /** Already redacted: callers must never put query tokens or SAS signatures here. */
  url: string;
  status?: number | undefined;
  attempts: number;
  retryable: boolean;
  reason: VendorCallFailure;
  bodyExcerpt?: string | undefined;
  /** The wait the server asked for when it was longer than the client would sit through. */
  retryAfterMs?: number | undefined;
  /** Overrides the generated `<vendor> <call> failed: ...` message. */
  message?: string | undefined;
  cause?: unknown;
}

/**
 * A vendor call that did not produce a usable response, with enough context to
 * act on it: which vendor and logical call, what went wrong and whether trying
 * again later could help.
 *
 * @example
 * throw new VendorCallError({ vendor: 'partner-center', call: 'customers.list', method: 'GET',
 *   url: 'https://api.partnercenter.microsoft.com/v1/customers', status: 503, attempts: 5,
 *   retryable: true, reason: 'http' });
 * // message: "partner-center customers.list failed: HTTP 503 after 5 attempts"
 */
export class VendorCallError extends Error {
  readonly vendor: string;
  readonly call: string;
  readonly method: string;
  readonly url: string;
  readonly status: number | undefined;
  readonly attempts: number;
  readonly retryable: boolean;
  readonly reason: VendorCallFailure;
  readonly bodyExcerpt: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(init: VendorCallErrorInit) {
    super(init.message ?? describeFailure(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'VendorCallError';
    this.vendor = init.vendor;
    this.call = init.call;
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.attempts = init.attempts;
    this.retryable = init.retryable;
    this.reason = init.reason;
    this.bodyExcerpt = init.bodyExcerpt;
    this.retryAfterMs = init.retryAfterMs;
  }

  /** The constructor arguments, so a subclass can re-raise the same failure under a narrower type. */
  toInit(): VendorCallErrorInit {
    return {
      vendor: this.vendor,
      call: this.call,
      method: this.method,
      url: this.url,
      status: this.status,
      attempts: this.attempts,
      retryable: this.retryable,
      reason: this.reason,
      bodyExcerpt: this.bodyExcerpt,
      retryAfterMs: this.retryAfterMs,
      cause: this.cause,
    };
  }
}

/**
 * The vendor refused our credentials (401) or our right to the resource (403).
 * Never retried by the HTTP client: a human or a token refresh has to act first.
 */
export class VendorAuthError extends VendorCallError {
  constructor(init: Omit<VendorCallErrorInit, 'reason' | 'retryable'> & { retryable?: boolean }) {
    super({ ...init, reason: 'auth', retryable: init.retryable ?? false });
    this.name = 'VendorAuthError';
  }
}

export function isVendorCallError(value: unknown): value is VendorCallError {
  return value instanceof VendorCallError;
}

export function isVendorAuthError(value: unknown): value is VendorAuthError {
  return value instanceof VendorAuthError;
}

function describeFailure(init: VendorCallErrorInit): string {
  const what = (() => {
    switch (init.reason) {
      case 'timeout':
        return 'timed out';
      case 'network':
        return 'network error';
      case 'invalid_response':
        return init.status === undefined ? 'invalid response' : `invalid response (HTTP ${init.status})`;
      case 'rate_limited':
        return `HTTP ${init.status ?? 429} rate limited`;
      case 'auth':
      case 'http':
        return `HTTP ${init.status ?? '?'}`;
    }
  })();
  const attempts = `${init.attempts} attempt${init.attempts === 1 ? '' : 's'}`;
  return `${init.vendor} ${init.call} failed: ${what} after ${attempts}`;
}
