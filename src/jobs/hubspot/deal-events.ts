import type { HubContext, StoredWebhook } from '../../context.ts';
import { activeHubSpotConnections, connectionForPortal } from '../../connectors/hubspot/connections.ts';
import { isDealStageEvent, type HubSpotEvent } from '../../connectors/hubspot/events.ts';
import { enqueueJob } from '../enqueue.ts';
import { quoteToCashJobKey } from './quote-to-cash.ts';

export const QUOTE_TO_CASH_TASK = 'hubspot:quote_to_cash';

/**
 * A stored HubSpot event: a deal's stage changed or a deal was created, so the deal may
 * have been won. The quote-to-cash job re-reads it and decides; the event's own
 * propertyValue is not trusted. Other events are done with.
 */
export async function handleHubSpotEvent(stored: StoredWebhook, ctx: HubContext): Promise<void> {
  const event = JSON.parse(stored.body) as HubSpotEvent;
  if (!isDealStageEvent(event)) return;
  const connection = connectionForPortal(await activeHubSpotConnections(ctx), event.portalId);
  if (!connection) {
    ctx.logger.warn({ portalId: event.portalId, inboxId: stored.id }, 'HubSpot event for a portal no active connection serves: skipped');
    return;
  }
  const dealId = String(event.objectId);
  await enqueueJob(ctx.db, QUOTE_TO_CASH_TASK, { connectionId: connection.id, dealId }, { jobKey: quoteToCashJobKey(dealId) });
}
