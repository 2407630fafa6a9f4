import type { HubContext, StoredWebhook } from '../../context.ts';
import { sameOrg } from '../../connectors/salesforce/outbound-message.ts';
import type { SalesforceEventBody } from '../../connectors/salesforce/webhook.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import { enqueueJob } from '../enqueue.ts';
import { SALESFORCE, SALESFORCE_QUOTE_TO_CASH_TASK, salesforceJobKey } from './quote-to-cash.ts';

/**
 * A stored Salesforce notification about an Opportunity: it may have been won. The
 * quote-to-cash job re-reads it and decides; the fields the message carried are not
 * trusted. Notifications about other objects are done with.
 */
export async function handleSalesforceEvent(stored: StoredWebhook, ctx: HubContext): Promise<void> {
  const event = JSON.parse(stored.body) as SalesforceEventBody;
  if (event.objectType !== 'Opportunity') return;
  const connection = (await activeConnections(ctx, SALESFORCE)).find((c) => typeof c.settings.organizationId === 'string' && sameOrg(c.settings.organizationId, event.organizationId));
  if (!connection) {
    ctx.logger.warn({ organizationId: event.organizationId, inboxId: stored.id }, 'Salesforce notification for an org no active connection serves: skipped');
    return;
  }
  await enqueueJob(ctx.db, SALESFORCE_QUOTE_TO_CASH_TASK, { connectionId: connection.id, opportunityId: event.recordId }, { jobKey: salesforceJobKey(event.recordId) });
}
