import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingWebhook, WebhookEvent, WebhookProvider, WebhookRefusal } from '../../context.ts';
import { activeConnections, type OpenConnection } from '../../db/connection-secrets.ts';
import { bodyDigest, headerValue, refuse } from '../webhooks.ts';
import { salesforceDeclaration } from './declaration.ts';
import { parseFlowCallout } from './flow-callout.ts';
import { parseOutboundMessage, sameOrg } from './outbound-message.ts';

/** What the inbox stores for each notification: enough for the job to know which opportunity to re-read. */
export interface SalesforceEventBody {
  /** `sweep`: not sent by Salesforce but stored by the hub's sweep for a won opportunity whose notification never came. */
  source: 'outbound-message' | 'flow' | 'sweep';
  organizationId: string;
  notificationId: string | null;
  objectType: string;
  recordId: string;
  /** The fields as sent (Outbound Messages only); the job re-reads the record and never trusts them. */
  fields: Record<string, string | null>;
}

export interface SalesforceWebhookOptions {
  handle?: WebhookProvider['handle'];
}

const connectionOfOrg = (connections: OpenConnection[], organizationId: string) =>
  connections.filter((c) => typeof c.settings.organizationId === 'string' && sameOrg(c.settings.organizationId, organizationId));

function hexSignatureMatches(secret: string, rawBody: Buffer, signature: string | undefined): boolean {
  if (!signature || !/^[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return timingSafeEqual(Buffer.from(signature, 'hex'), expected);
}

/**
 * `POST /webhooks/salesforce`, two ways in:
 * - an Outbound Message (SOAP `notifications`, text/xml): unsigned by design, so the
 *   OrganizationId must be an active connection's org; each notification is stored under
 *   its Id (a redelivery is recognised), and the answer is the exact SOAP Ack, without
 *   which Salesforce keeps retrying for 24 hours;
 * - a Flow HTTP callout (application/json), signed HMAC-SHA256 (hex) with the
 *   connection's flowSecret in X-Hub-Salesforce-Signature, its organizationId an org
 *   connected with that secret.
 */
export function salesforceWebhookProvider(options: SalesforceWebhookOptions = {}): WebhookProvider {
  const { outboundMessages, flowCallouts } = salesforceDeclaration;
  return {
    name: salesforceDeclaration.vendor,
    async accept(request: IncomingWebhook, ctx): Promise<WebhookEvent[] | WebhookRefusal> {
      const contentType = (headerValue(request.headers, 'content-type') ?? '').toLowerCase();
      const connections = await activeConnections(ctx, salesforceDeclaration.vendor);
      if (connections.length === 0) return refuse(401, 'no active Salesforce connection');
      if (contentType.includes('xml')) {
        const message = parseOutboundMessage(request.rawBody.toString('utf8'));
        if (typeof message === 'string') return refuse(400, message);
        if (connectionOfOrg(connections, message.organizationId).length === 0) return refuse(401, `OrganizationId ${message.organizationId} is not the org of any active Salesforce connection`);
        return message.notifications.map((n) => ({
          eventId: `${message.organizationId.slice(0, 15)}:${n.id}`,
          body: JSON.stringify({ source: 'outbound-message', organizationId: message.organizationId, notificationId: n.id, objectType: n.objectType, recordId: n.fields.Id!, fields: n.fields } satisfies SalesforceEventBody),
        }));
      }
      if (contentType.includes('json')) {
        const signature = headerValue(request.headers, flowCallouts.signatureHeader);
        const signedBy = connections.filter((c) => c.credentials.flowSecret && hexSignatureMatches(c.credentials.flowSecret, request.rawBody, signature));
        if (signedBy.length === 0) return refuse(401, signature ? 'X-Hub-Salesforce-Signature does not match any connection\'s flowSecret' : 'X-Hub-Salesforce-Signature is missing');
        const callout = parseFlowCallout(request.rawBody);
        if (typeof callout === 'string') return refuse(400, callout);
        if (connectionOfOrg(signedBy, callout.organizationId).length === 0) return refuse(401, `organizationId ${callout.organizationId} is not the org of the connection whose secret signed the callout`);
        const org = callout.organizationId.slice(0, 15);
        return [
          {
            eventId: callout.notificationId ? `${org}:flow:${callout.notificationId}` : `${org}:flow:${bodyDigest(request.rawBody)}`,
            body: JSON.stringify({ source: 'flow', organizationId: callout.organizationId, notificationId: callout.notificationId, objectType: 'Opportunity', recordId: callout.opportunityId, fields: {} } satisfies SalesforceEventBody),
          },
        ];
      }
      return refuse(400, 'content-type must be text/xml (an Outbound Message) or application/json (a Flow callout)');
    },
    respond: (events) =>
      events.length > 0 && JSON.parse(events[0]!.body).source === 'outbound-message'
        ? { status: 200, contentType: 'text/xml; charset=utf-8', body: outboundMessages.ack }
        : undefined,
    ...(options.handle ? { handle: options.handle } : {}),
  };
}
