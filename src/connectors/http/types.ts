import type { Readable } from 'node:stream';
import type Bottleneck from 'bottleneck';
import type { VendorCallFailure } from './errors.ts';

/** The two pino methods the client uses; a pino logger fits as is. */
export interface HttpLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RetryEvent {
  call: string;
  /** The attempt that just failed (1-based). */
  attempt: number;
  status?: number | undefined;
  delayMs: number;
  reason: VendorCallFailure;
}

export interface HttpClientOptions {
  /** Short vendor id used in errors and logs, e.g. `partner-center`. */
  vendor: string;
  /** Prefix for `path` requests; may carry a path of its own (`https://host/v1`). */
  baseUrl: string;
  /** The connection's limiter, shared with every other client of the same vendor account. */
  limiter: Bottleneck;
  maxAttempts?: number;
  /** Per attempt. For streamed bodies it is an idle timeout between chunks. */
  timeoutMs?: number;
  retryStatuses?: readonly number[];
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * The longest server-imposed wait a call sits through. Beyond it the call fails
   * (retryable, with `retryAfterMs`) so a job can be rescheduled instead of holding
   * a worker for an hour.
   */
  maxRetryAfterMs?: number;
  /** Response header carrying the server's requested wait (vendor declarations name it). */
  retryAfterHeader?: string;
  /**
   * Called before every attempt, so a refreshed token is picked up by the retry. It is
   * told the method and full URL (query included) for schemes that sign each request
   * (OAuth 1.0a: a fresh nonce and signature per attempt).
   */
  headers?: (request: { method: string; url: string }) => Promise<Record<string, string>> | Record<string, string>;
  /** Called once on a 401 before a single re-attempt; typically drops a cached token. */
  onUnauthorized?: () => Promise<void> | void;
  onRetry?: (event: RetryEvent) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Clock for HTTP-date `Retry-After` values. */
  now?: () => number;
  fetch?: typeof fetch;
  logger?: HttpLogger;
}

export type ResponseType = 'json' | 'text' | 'buffer' | 'stream';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  /** Logical name for errors, logs and metrics, e.g. `customers.list`. */
  call: string;
  method?: string;
  /** Relative to `baseUrl`. Give either `path` or `url`. */
  path?: string;
  /** Absolute URL, e.g. a `links.next` or a blob URL. */
  url?: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as application/x-www-form-urlencoded (OAuth token endpoints). */
  form?: Record<string, string>;
  responseType?: ResponseType;
  /** JSON numbers come back as their exact source text (for money and quantities). */
  exactNumbers?: boolean;
  /** Statuses that count as success; default any 2xx. */
  expectedStatus?: number | readonly number[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpClientStats {
  /** Logical calls started. */
  calls: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
  retries: number;
  /** Time spent waiting between attempts (Retry-After and backoff). */
  waitedMs: number;
}

export type StreamBody = Readable;
