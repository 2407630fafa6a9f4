import type { HubSpotSandboxContext } from './context.ts';
import { signV3 } from './signing.ts';

/** The subscription the sandbox app has on deal stage changes. */
export const DEALSTAGE_SUBSCRIPTION_ID = 2001;

export interface DeliveryResult {
  attemptNumber: number;
  status: number;
  body: string;
}

/** A deal stage change as HubSpot's webhook reports it. */
export function dealStageEvent(ctx: HubSpotSandboxContext, dealId: string, stage: string) {
  return {
    eventId: ctx.nextEventId(),
    subscriptionId: DEALSTAGE_SUBSCRIPTION_ID,
    portalId: ctx.credentials.portalId,
    appId: ctx.credentials.appId,
    occurredAt: ctx.now().getTime(),
    subscriptionType: 'deal.propertyChange',
    attemptNumber: 0,
    objectId: Number(dealId),
    propertyName: 'dealstage',
    propertyValue: stage,
    changeSource: 'CRM_UI',
  };
}

/**
 * POSTs a batch to the app's target URL, signed v3 with the app's client secret, and
 * again `redeliveries` times as HubSpot retries: the same events, the attempt number
 * counting up, a fresh timestamp and signature each time.
 */
export async function deliverBatch(
  ctx: HubSpotSandboxContext,
  targetUrl: string,
  events: Record<string, unknown>[],
  redeliveries = 0,
): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  for (let attempt = 0; attempt <= redeliveries; attempt++) {
    const body = JSON.stringify(events.map((event) => ({ ...event, attemptNumber: attempt })));
    const timestamp = String(ctx.now().getTime());
    const response = await fetch(targetUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signV3(ctx.credentials.clientSecret, 'POST', targetUrl, body, timestamp),
        'x-hubspot-request-timestamp': timestamp,
      },
      body,
    });
    ctx.stats.webhookDeliveries++;
    results.push({ attemptNumber: attempt, status: response.status, body: await response.text() });
  }
  return results;
}

/** Wins or reopens a deal and, given the hub's URL, delivers the stage change (with redeliveries). */
export async function changeStage(ctx: HubSpotSandboxContext, dealId: string, action: 'win' | 'reopen', deliverTo?: string, redeliveries = 0) {
  const deal = action === 'win' ? ctx.account.win(dealId) : ctx.account.reopen(dealId);
  if (!deal) return undefined;
  const event = dealStageEvent(ctx, dealId, String(deal.properties.dealstage));
  const deliveries = deliverTo ? await deliverBatch(ctx, deliverTo, [event], redeliveries) : [];
  return { deal, event, deliveries };
}
