import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type Bottleneck from 'bottleneck';
import { Deadline } from './deadline.ts';
import { parseJsonExact } from './exact-json.ts';
import { VendorAuthError, VendorCallError } from './errors.ts';
import type { VendorCallFailure } from './errors.ts';
import { vendorOutcome, vendorRequests } from '../../metrics/process-metrics.ts';
import { redactUrl } from './redact-url.ts';
import { backoffDelay, parseRetryAfter } from './retry.ts';
import type {
  HttpClientOptions,
  HttpClientStats,
  HttpLogger,
  HttpResponse,
  RequestOptions,
  ResponseType,
  RetryEvent,
} from './types.ts';

const EXCERPT_CHARS = 500;

interface PreparedRequest {
  call: string;
  method: string;
  url: string;
  safeUrl: string;
  headers: Record<string, string>;
  body: string | undefined;
  contentType: string | undefined;
  responseType: ResponseType;
  expected: readonly number[] | undefined;
  exactNumbers: boolean;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

type AttemptOutcome =
  | { ok: true; response: HttpResponse<unknown> }
  | {
      ok: false;
      reason: VendorCallFailure;
      /** Whether this client may try the same request again. */
      retry: boolean;
      status?: number | undefined;
      retryAfterMs?: number | undefined;
      bodyExcerpt?: string | undefined;
      cause?: unknown;
    };

/**
 * The one HTTP client every vendor connector builds on: each attempt waits its turn
 * on the connection's limiter, throttling and gateway errors are retried (honouring
 * `Retry-After` exactly, jittered backoff otherwise) up to `maxAttempts`, and every
 * failure surfaces as a {@link VendorCallError} naming the vendor call.
 *
 * @example
 * const http = new HttpClient({ vendor: 'partner-center', baseUrl: 'https://api.partnercenter.microsoft.com/v1',
 *   limiter: createLimiter({ requestsPerMinute: 500 }), headers: async () => ({ authorization: `Bearer ${await token()}` }) });
 * const { body } = await http.request<{ items: unknown[] }>({ call: 'customers.list', path: '/customers', query: { size: 100 } });
 */
export class HttpClient {
  readonly #vendor: string;
  readonly #baseUrl: string;
  readonly #limiter: Bottleneck;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #retryStatuses: ReadonlySet<number>;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #retryAfterHeader: string;
  readonly #headers: HttpClientOptions['headers'];
  readonly #onUnauthorized: HttpClientOptions['onUnauthorized'];
  readonly #onRetry: HttpClientOptions['onRetry'];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  readonly #logger: HttpLogger | undefined;
  readonly #stats: HttpClientStats = { calls: 0, attempts: 0, retries: 0, waitedMs: 0 };

  constructor(options: HttpClientOptions) {
    this.#vendor = options.vendor;
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#limiter = options.limiter;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retryStatuses = new Set(options.retryStatuses ?? [429, 502, 503, 504]);
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#maxDelayMs = options.maxDelayMs ?? 30_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 5 * 60_000;
    this.#retryAfterHeader = options.retryAfterHeader ?? 'retry-after';
    this.#headers = options.headers;
    this.#onUnauthorized = options.onUnauthorized;
    this.#onRetry = options.onRetry;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger;
  }

  /** Running totals since construction; a copy, safe to keep. */
  get stats(): HttpClientStats {
    return { ...this.#stats };
  }

  get vendor(): string {
    return this.#vendor;
  }

  request<T = unknown>(options: RequestOptions & { responseType?: 'json' }): Promise<HttpResponse<T>>;
  request(options: RequestOptions & { responseType: 'text' }): Promise<HttpResponse<string>>;
  request(options: RequestOptions & { responseType: 'buffer' }): Promise<HttpResponse<Buffer>>;
  request(options: RequestOptions & { responseType: 'stream' }): Promise<HttpResponse<Readable>>;
  async request(options: RequestOptions): Promise<HttpResponse<unknown>> {
    const prepared = this.#prepare(options);
    this.#stats.calls++;
    let reauthenticated = false;

    for (let attempt = 1; ; attempt++) {
      prepared.signal?.throwIfAborted();
      // Outside the limiter: a token refresh may itself wait on a limiter, and
      // must not do so while holding one of this connection's slots.
      const dynamicHeaders = this.#headers ? await this.#headers({ method: prepared.method, url: prepared.url }) : {};
      this.#stats.attempts++;
      const outcome = await this.#limiter.schedule(() => this.#attempt(prepared, dynamicHeaders));
      vendorRequests.inc({ vendor: this.#vendor, call: prepared.call, outcome: vendorOutcome(outcome.ok ? { ok: true } : outcome) });
      if (outcome.ok) return outcome.response;

      if (outcome.status === 401 && this.#onUnauthorized && !reauthenticated && attempt < this.#maxAttempts) {
        // The cached token may have been revoked early; one fresh token gets one more try.
        reauthenticated = true;
        await this.#onUnauthorized();
        this.#stats.retries++;
        continue;
      }
      if (!outcome.retry || attempt >= this.#maxAttempts) throw this.#error(prepared, outcome, attempt);

      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > this.#maxRetryAfterMs) {
        throw this.#error(prepared, outcome, attempt);
      }
      // The server's wait is exact: adding backoff on top would only waste the window it granted.
      const delayMs =
        outcome.retryAfterMs ?? backoffDelay(attempt, { baseMs: this.#baseDelayMs, maxMs: this.#maxDelayMs, random: this.#random });
      const event: RetryEvent = { call: prepared.call, attempt, status: outcome.status, delayMs, reason: outcome.reason };
      this.#onRetry?.(event);
      this.#logger?.warn({ vendor: this.#vendor, ...event, url: prepared.safeUrl }, 'retrying vendor call');
      this.#stats.retries++;
      this.#stats.waitedMs += delayMs;
      await this.#wait(delayMs, prepared.signal);
    }
  }

  /** Sleeps between attempts, cut short if the caller gives up (e.g. worker shutdown). */
  async #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.#sleep(ms);
    signal.throwIfAborted();
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.#sleep(ms), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  #prepare(options: RequestOptions): PreparedRequest {
    const method = (options.method ?? 'GET').toUpperCase();
    const url = this.#resolveUrl(options);
    let body: string | undefined;
    let contentType: string | undefined;
    if (options.form !== undefined) {
      body = new URLSearchParams(options.form).toString();
      contentType = 'application/x-www-form-urlencoded';
    } else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      contentType = 'application/json';
    }
    const expected =
      options.expectedStatus === undefined
        ? undefined
        : typeof options.expectedStatus === 'number'
          ? [options.expectedStatus]
          : options.expectedStatus;
    return {
      call: options.call,
      method,
      url,
      safeUrl: redactUrl(url),
      headers: options.headers ?? {},
      body,
      contentType,
      responseType: options.responseType ?? 'json',
      expected,
      exactNumbers: options.exactNumbers ?? false,
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      signal: options.signal,
    };
  }

  #resolveUrl(options: RequestOptions): string {
    let url: URL;
    if (options.url !== undefined) {
      url = new URL(options.url);
    } else if (options.path !== undefined) {
      // Joined by hand: `new URL('/customers', 'https://host/v1')` would drop the `/v1`.
      url = new URL(`${this.#baseUrl}/${options.path.replace(/^\/+/, '')}`);
    } else {
      throw new TypeError(`${this.#vendor} ${options.call}: request needs a path or a url`);
    }
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }

  async #attempt(req: PreparedRequest, dynamicHeaders: Record<string, string>): Promise<AttemptOutcome> {
    const headers = new Headers(dynamicHeaders);
    for (const [name, value] of Object.entries(req.headers)) headers.set(name, value);
    if (req.contentType !== undefined && !headers.has('content-type')) headers.set('content-type', req.contentType);
    if (req.responseType === 'json' && !headers.has('accept')) headers.set('accept', 'application/json');

    const deadline = new Deadline(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([deadline.signal, req.signal]) : deadline.signal;
    let streaming = false;
    try {
      const response = await this.#fetch(req.url, { method: req.method, headers, body: req.body, signal });
      const { status } = response;
      const success = req.expected ? req.expected.includes(status) : response.ok;
      if (success) {
        if (req.responseType === 'stream') {
          streaming = true;
          return { ok: true, response: { status, headers: response.headers, body: this.#stream(req, response, deadline) } };
        }
        return await this.#readBody(req, response);
      }

      const excerpt = excerptOf(await response.text().catch(() => ''));
      if (status === 401 || status === 403) return { ok: false, reason: 'auth', retry: false, status, bodyExcerpt: excerpt };
      if (this.#retryStatuses.has(status)) {
        return {
          ok: false,
          reason: status === 429 ? 'rate_limited' : 'http',
          retry: true,
          status,
          retryAfterMs: parseRetryAfter(response.headers.get(this.#retryAfterHeader), this.#now()),
          bodyExcerpt: excerpt,
        };
      }
      // A 2xx we were told not to expect means the vendor did something else than the call assumes.
      const reason: VendorCallFailure = response.ok ? 'invalid_response' : 'http';
      return { ok: false, reason, retry: false, status, bodyExcerpt: excerpt };
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason;
      return { ok: false, reason: deadline.timedOut ? 'timeout' : 'network', retry: true, cause: error };
    } finally {
      if (!streaming) deadline.clear();
    }
  }

  async #readBody(req: PreparedRequest, response: Response): Promise<AttemptOutcome> {
    const { status, headers } = response;
    switch (req.responseType) {
      case 'text':
        return { ok: true, response: { status, headers, body: await response.text() } };
      case 'buffer':
        return { ok: true, response: { status, headers, body: Buffer.from(await response.arrayBuffer()) } };
      default: {
        // Partner Center prefixes JSON with a UTF-8 byte-order mark; JSON.parse rejects it.
        const text = (await response.text()).replace(/^\uFEFF/, '');
        if (text.trim() === '') return { ok: true, response: { status, headers, body: undefined } };
        const type = headers.get('content-type');
        if (type !== null && !/json/i.test(type)) {
          return { ok: false, reason: 'invalid_response', retry: false, status, bodyExcerpt: excerptOf(text) };
        }
        try {
          const body: unknown = req.exactNumbers ? parseJsonExact(text) : JSON.parse(text);
          return { ok: true, response: { status, headers, body } };
        } catch (cause) {
          return { ok: false, reason: 'invalid_response', retry: false, status, bodyExcerpt: excerptOf(text), cause };
        }
      }
    }
  }

  /**
   * Hands the body over as a Node stream while the deadline keeps watch as an idle
   * timeout. Only the request up to the response headers is retried: bytes already
   * handed to the caller cannot be taken back.
   */
  #stream(req: PreparedRequest, response: Response, deadline: Deadline): Readable {
    if (response.body === null) {
      deadline.clear();
      return Readable.from([]);
    }
    const reader = response.body.getReader();
    const fail = (reason: VendorCallFailure, cause: unknown) =>
      new VendorCallError({
        vendor: this.#vendor,
        call: req.call,
        method: req.method,
        url: req.safeUrl,
        status: response.status,
        attempts: 1,
        retryable: true,
        reason,
        message: `${this.#vendor} ${req.call} failed: ${reason === 'timeout' ? 'timed out' : 'network error'} while streaming the response body`,
        cause,
      });
    let finished = false;
    return new Readable({
      read() {
        deadline.restart();
        reader.read().then(
          (next) => {
            if (next.done) {
              finished = true;
              deadline.clear();
              this.push(null);
            } else {
              this.push(next.value);
            }
          },
          (error: unknown) => {
            deadline.clear();
            if (finished || this.destroyed) return;
            this.destroy(req.signal?.aborted ? (req.signal.reason as Error) : fail(deadline.timedOut ? 'timeout' : 'network', error));
          },
        );
      },
      destroy(error, callback) {
        if (!finished) {
          // The consumer stopped early (break, destroy): abort the request so the
          // socket is released now, not left half-read until the server gives up.
          finished = true;
          deadline.cancel(new DOMException('response body no longer read', 'AbortError'));
        }
        callback(error);
      },
    });
  }

  #error(req: PreparedRequest, outcome: Extract<AttemptOutcome, { ok: false }>, attempts: number): VendorCallError {
    const init = {
      vendor: this.#vendor,
      call: req.call,
      method: req.method,
      url: req.safeUrl,
      status: outcome.status,
      attempts,
      bodyExcerpt: outcome.bodyExcerpt,
      retryAfterMs: outcome.retryAfterMs,
      cause: outcome.cause,
    };
    if (outcome.reason === 'auth') return new VendorAuthError(init);
    // Worth trying again later: throttling, gateway and server errors, timeouts, dropped connections.
    const retryable =
      outcome.retry || outcome.reason === 'timeout' || outcome.reason === 'network' || (outcome.status ?? 0) >= 500;
    return new VendorCallError({ ...init, reason: outcome.reason, retryable });
  }
}

function excerptOf(text: string): string | undefined {
  const compact = text.replace(/\s+/g, ' ').trim();
  if (compact === '') return undefined;
  return compact.length > EXCERPT_CHARS ? `${compact.slice(0, EXCERPT_CHARS)}…` : compact;
}
