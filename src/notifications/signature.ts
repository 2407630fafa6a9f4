import { createHmac, timingSafeEqual } from 'node:crypto';

/** How old a signed notification may be when it arrives before a receiver should refuse it. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The `x-hub-signature` header of an outbound notification: `t=<unix seconds>,v1=<hex>`,
 * where v1 is HMAC-SHA256 over `<t>.<raw body>` keyed by the channel's signing secret.
 * The timestamp is signed with the body, so a captured request cannot be replayed later.
 *
 * @example signatureHeader('whsec_…', 1767225600, '{"id":"…"}') // 't=1767225600,v1=5f0c…'
 */
export function signatureHeader(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, rawBody)}`;
}

/**
 * What a receiver does with the header: parse it, refuse a timestamp more than five
 * minutes from its own clock, and compare the HMAC in constant time. Exported so the
 * tests verify the way a receiver would, and documented in docs/operations.md.
 */
export function verifySignature(secret: string, header: string | undefined, rawBody: string | Buffer, nowSeconds: number): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((p) => p.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  return timingSafeEqual(Buffer.from(given, 'hex'), Buffer.from(hmac(secret, t, rawBody), 'hex'));
}

function hmac(secret: string, timestamp: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}
