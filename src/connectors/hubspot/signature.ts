import { createHmac, timingSafeEqual } from 'node:crypto';

// HubSpot's v3 request signature: base64 HMAC-SHA256, keyed with the app's client
// secret, over method + request URI + raw body + the timestamp header, no separators.

/** The percent-escapes HubSpot decodes before signing the URI; every other escape stays as sent. */
const DECODED_ESCAPES: Readonly<Record<string, string>> = {
  '3A': ':', '2F': '/', '3F': '?', '40': '@', '21': '!', '24': '$',
  '27': "'", '28': '(', '29': ')', '2A': '*', '2C': ',', '3B': ';',
};

/**
 * The URI as HubSpot signs it: only the escapes of its documented table decoded
 * (`%3A` → `:`), everything else (`%20`, `%26`, `%3D` …) left encoded.
 *
 * @example
 * signedUri('https://hub.example/webhooks/hubspot?t=a%3Ab%20c') // 'https://hub.example/webhooks/hubspot?t=a:b%20c'
 */
export function signedUri(uri: string): string {
  return uri.replace(/%([0-9A-Fa-f]{2})/g, (escape, hex: string) => DECODED_ESCAPES[hex.toUpperCase()] ?? escape);
}

export interface SignedRequest {
  method: string;
  /** The full URI HubSpot called: scheme, host, path and query, as sent. */
  uri: string;
  rawBody: Buffer;
  /** The X-HubSpot-Request-Timestamp header, epoch milliseconds as sent. */
  timestamp: string;
}

/** The v3 signature HubSpot would send for this request. */
export function signatureV3(secret: string, request: SignedRequest): string {
  return createHmac('sha256', secret)
    .update(`${request.method.toUpperCase()}${signedUri(request.uri)}`, 'utf8')
    .update(request.rawBody)
    .update(request.timestamp, 'utf8')
    .digest('base64');
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks a request's timestamp (no older than `maxAgeMs`, nor that far ahead) and its
 * v3 signature, in constant time, against one client secret.
 */
export function checkSignatureV3(
  secret: string,
  request: SignedRequest,
  signature: string | undefined,
  options: { now: number; maxAgeMs: number },
): SignatureCheck {
  if (!/^\d{1,16}$/.test(request.timestamp)) return { ok: false, reason: 'X-HubSpot-Request-Timestamp must be epoch milliseconds' };
  const age = options.now - Number(request.timestamp);
  if (age > options.maxAgeMs) return { ok: false, reason: `X-HubSpot-Request-Timestamp is ${Math.round(age / 1000)} s old: more than ${options.maxAgeMs / 1000} s, refused as a possible replay` };
  if (-age > options.maxAgeMs) return { ok: false, reason: `X-HubSpot-Request-Timestamp is ${Math.round(-age / 1000)} s in the future` };
  if (!signature) return { ok: false, reason: 'X-HubSpot-Signature-v3 is missing' };
  const expected = Buffer.from(signatureV3(secret, request), 'base64');
  const given = Buffer.from(signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'X-HubSpot-Signature-v3 does not match' };
  return { ok: true };
}
