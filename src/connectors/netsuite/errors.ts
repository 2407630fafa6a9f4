import { isVendorCallError } from '../http/errors.ts';

/** One entry of NetSuite's `o:errorDetails`. */
export interface NetSuiteErrorDetail {
  detail: string;
  'o:errorCode': string;
  'o:errorPath'?: string;
}

/**
 * A NetSuite call that failed for good, with the vendor's error codes, details and
 * paths (`item.items[0].department`), so a posting's last error names what to fix.
 */
export class NetSuiteCallError extends Error {
  readonly status: number | undefined;
  readonly details: NetSuiteErrorDetail[];
  readonly retryable: boolean;
  constructor(message: string, status: number | undefined, details: NetSuiteErrorDetail[], retryable: boolean, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'NetSuiteCallError';
    this.status = status;
    this.details = details;
    this.retryable = retryable;
  }

  get codes(): string[] {
    return this.details.map((d) => d['o:errorCode']);
  }
}

/** The `o:errorDetails` of an error body, or none when the body is not NetSuite's shape. */
export function errorDetailsOf(body: string | undefined): NetSuiteErrorDetail[] {
  if (!body) return [];
  try {
    const parsed = JSON.parse(body) as { 'o:errorDetails'?: NetSuiteErrorDetail[] };
    return Array.isArray(parsed['o:errorDetails']) ? parsed['o:errorDetails'] : [];
  } catch {
    return [];
  }
}

/** Re-raises an HTTP client failure as a {@link NetSuiteCallError} carrying NetSuite's own words. */
export function toNetSuiteError(err: unknown): unknown {
  if (!isVendorCallError(err)) return err;
  const details = errorDetailsOf(err.bodyExcerpt);
  const said = details.map((d) => `${d['o:errorCode']}${d['o:errorPath'] ? ` at ${d['o:errorPath']}` : ''}: ${d.detail}`).join('; ');
  return new NetSuiteCallError(said ? `${err.message}: ${said}` : err.message, err.status, details, err.retryable, err);
}
