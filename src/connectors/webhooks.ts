import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingWebhook, WebhookEvent, WebhookProvider, WebhookProviderRegistry, WebhookRefusal } from '../context.ts';

export function webhookRegistry(providers: WebhookProvider[]): WebhookProviderRegistry {
  return new Map(providers.map((p) => [p.name, p]));
}

export function headerValue(headers: IncomingWebhook['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time check of a hex or base64 HMAC-SHA256 signature over the raw body. */
export function hmacSha256Matches(secret: string, rawBody: Buffer, signature: string | undefined, encoding: 'hex' | 'base64'): boolean {
  if (!signature) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = Buffer.from(signature, encoding);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** When a vendor sends no event id, the body's digest still de-duplicates exact redeliveries. */
export function bodyDigest(rawBody: Buffer): string {
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

export function refuse(status: WebhookRefusal['status'], reason: string): WebhookRefusal {
  return { status, reason };
}

export function isRefusal(result: WebhookEvent[] | WebhookRefusal): result is WebhookRefusal {
  return !Array.isArray(result);
}

/** For vendors that send one event per request: the whole raw body, under the vendor's id. */
export function singleEvent(request: IncomingWebhook, eventId: string): WebhookEvent[] {
  return [{ eventId, body: request.rawBody.toString('utf8') }];
}
