/**
 * Error bodies in each vendor surface's own shape, so a client's error handling
 * is exercised against what the real service sends.
 */
import { randomUUID } from 'node:crypto';

/** Partner Center REST: `{ code, description, data, source }` (codes are strings). */
export function partnerCenterError(code: string, description: string): string {
  return JSON.stringify({ code, description, data: [], source: 'PartnerFD' });
}

/** Partner Center's throttling body, as its throttling guidance shows it. */
export function partnerCenterThrottled(retryAfterSeconds: number): string {
  return JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${retryAfterSeconds} seconds.` });
}

/** Microsoft Graph: `{ error: { code, message, innerError } }`. */
export function graphError(code: string, message: string, nowMs: number): string {
  return JSON.stringify({
    error: { code, message, innerError: { date: new Date(nowMs).toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } },
  });
}

/** Microsoft Entra ID (Azure AD) token endpoint error. */
export function aadError(error: string, aadsts: number, description: string, nowMs: number): string {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = `${new Date(nowMs).toISOString().replace('T', ' ').slice(0, 19)}Z`;
  return JSON.stringify({
    error,
    error_description: `AADSTS${aadsts}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [aadsts],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
  });
}

/** Azure Blob Storage XML error. */
export function storageError(code: string, message: string, nowMs: number): string {
  return `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${randomUUID()}\nTime:${new Date(nowMs).toISOString()}</Message></Error>`;
}
