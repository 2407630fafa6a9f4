import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { HubContext } from '../context.ts';

/** What a provider sees of an incoming webhook request, before anything is stored. */
export interface IncomingWebhook {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface StoredWebhook {
  id: string;
  eventId: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * One vendor's webhook behaviour. `verify` runs before anything is stored: false
 * means 401 and nothing written. `handle` runs later in a job and must be idempotent.
 */
export interface WebhookProvider {
  name: string;
  verify(request: IncomingWebhook): Promise<boolean> | boolean;
  /** The vendor's own event id, used to de-duplicate redeliveries. */
  eventId(request: IncomingWebhook): string;
  handle?(event: StoredWebhook, ctx: HubContext): Promise<void>;
}

export type WebhookProviderRegistry = ReadonlyMap<string, WebhookProvider>;

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
