import type { IncomingWebhook, StoredWebhook, WebhookEvent, WebhookProvider, WebhookRefusal } from '../../context.ts';
import type { HubContext } from '../../context.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import { headerValue, hmacSha256Matches, refuse } from '../webhooks.ts';
import { xeroDeclaration } from './declaration.ts';

/** One event of a Xero webhook payload (thin: the resource is read back). */
export interface XeroWebhookEvent {
  resourceUrl: string;
  resourceId: string;
  eventDateUtc: string;
  eventType: string;
  eventCategory: string;
  tenantId: string;
}

/**
 * `POST /webhooks/xero`: signed with base64 HMAC-SHA256 of the raw body by the webhook key
 * of one of the active Xero connections. Xero wants 200 and no body, and 401 for a wrong
 * signature; a correctly signed payload with no events is its intent-to-receive check.
 * Each event is stored on its own, keyed by tenant, resource, type and time.
 */
export function xeroWebhookProvider(options: { handle?: WebhookProvider['handle'] } = {}): WebhookProvider {
  return {
    name: xeroDeclaration.vendor,
    answer: 'ok-empty',
    async accept(request: IncomingWebhook, ctx: HubContext): Promise<WebhookEvent[] | WebhookRefusal> {
      const signature = headerValue(request.headers, xeroDeclaration.webhooks.signatureHeader);
      const keys = (await activeConnections(ctx, xeroDeclaration.vendor)).map((c) => c.credentials.webhookKey).filter((k): k is string => Boolean(k));
      if (keys.length === 0) return refuse(401, 'no active Xero connection has a webhookKey to check the signature against');
      if (!keys.some((key) => hmacSha256Matches(key, request.rawBody, signature, 'base64'))) return refuse(401, 'the x-xero-signature does not match the body');
      let payload: { events?: XeroWebhookEvent[] };
      try {
        payload = JSON.parse(request.rawBody.toString('utf8')) as { events?: XeroWebhookEvent[] };
      } catch {
        return refuse(400, 'the body is not JSON');
      }
      if (!Array.isArray(payload.events)) return refuse(400, 'the body has no events array');
      return payload.events.map((e) => ({ eventId: `${e.tenantId}:${e.eventCategory}:${e.resourceId}:${e.eventType}:${e.eventDateUtc}`, body: JSON.stringify(e) }));
    },
    ...(options.handle ? { handle: options.handle } : {}),
  };
}

export const parseXeroEvent = (event: StoredWebhook): XeroWebhookEvent => JSON.parse(event.body) as XeroWebhookEvent;
