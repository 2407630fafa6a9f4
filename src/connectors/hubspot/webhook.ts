import type { IncomingWebhook, WebhookEvent, WebhookProvider, WebhookRefusal } from '../../context.ts';
import { headerValue, refuse } from '../webhooks.ts';
import { cachedActiveConnections } from '../../db/connection-secrets.ts';
import { connectionForPortal } from './connections.ts';
import { hubspotDeclaration } from './declaration.ts';
import { eventKey, parseEventBatch } from './events.ts';
import { checkSignatureV3 } from './signature.ts';

export interface HubSpotWebhookOptions {
  /** The clock the timestamp is checked against (epoch ms); tests pin it. */
  now?: () => number;
  handle?: WebhookProvider['handle'];
}

/**
 * `POST /webhooks/hubspot`: a batch signed with v3 by the app's client secret. The
 * signature is checked against every active HubSpot connection's secret (an MSP may run
 * several portals), then each event's portal must belong to the connection whose secret
 * matched. Each event is stored on its own, keyed by portal, subscription, event id and time.
 * The connections are read through the intake cache (cachedActiveConnections).
 */
export function hubspotWebhookProvider(options: HubSpotWebhookOptions = {}): WebhookProvider {
  const now = options.now ?? Date.now;
  const { signatureHeader, timestampHeader, maxAgeMs } = hubspotDeclaration.webhooks;
  return {
    name: hubspotDeclaration.vendor,
    async accept(request: IncomingWebhook, ctx): Promise<WebhookEvent[] | WebhookRefusal> {
      const signed = { method: request.method, uri: request.uri, rawBody: request.rawBody, timestamp: headerValue(request.headers, timestampHeader) ?? '' };
      const signature = headerValue(request.headers, signatureHeader);
      const connections = await cachedActiveConnections(ctx, hubspotDeclaration.vendor);
      if (connections.length === 0) return refuse(401, 'no active HubSpot connection to check the signature against');
      let reason = '';
      const matched = connections.filter((connection) => {
        const check = checkSignatureV3(connection.credentials.clientSecret ?? '', signed, signature, { now: now(), maxAgeMs });
        if (!check.ok) reason = check.reason;
        return check.ok;
      });
      if (matched.length === 0) return refuse(401, reason);
      const events = parseEventBatch(request.rawBody);
      if (typeof events === 'string') return refuse(400, events);
      for (const event of events) {
        if (!connectionForPortal(matched, event.portalId)) return refuse(401, `HubSpot account ${event.portalId} is not connected with this app secret`);
      }
      return events.map((event) => ({ eventId: eventKey(event), body: JSON.stringify(event) }));
    },
    ...(options.handle ? { handle: options.handle } : {}),
  };
}
