import type { HubContext } from '../../context.ts';
import type { DealSnapshot } from '../../connectors/hubspot/client.ts';
import { HUBSPOT_LINE_FIELDS, hubspotLineDraft } from '../../mappings/hubspot/quote-lines.ts';
import { recordWonDeal, type QuoteToCashOutcome, type WonDeal } from '../crm/won-deal.ts';
import { hubspotClientFor } from './client-for-connection.ts';

export const HUBSPOT = 'hubspot';

export interface QuoteToCashPayload {
  connectionId: string;
  dealId: string;
}

/** One job per deal: every trigger for a deal collapses into the pending one. */
export const quoteToCashJobKey = (dealId: string) => `hubspot:deal:${dealId}`;

/**
 * A won HubSpot deal becomes the customer's billing setup. The deal, its line items and
 * company are re-read from HubSpot (the webhook only says something changed), then
 * recorded as every CRM's won deal is (see recordWonDeal).
 */
export async function quoteToCash(payload: QuoteToCashPayload, ctx: HubContext): Promise<QuoteToCashOutcome> {
  const { client, tenantIdProperty } = await hubspotClientFor(ctx, payload.connectionId, (status, waitMs) =>
    ctx.logger.info({ dealId: payload.dealId, status, waitMs }, 'HubSpot call retried'),
  );
  const snapshot = await client.readDeal(payload.dealId);
  if (snapshot.deal.properties.hs_is_closed_won !== 'true') return { outcome: 'not-won' };
  return recordWonDeal(ctx, wonDealOf(snapshot, payload.connectionId, tenantIdProperty));
}

function wonDealOf(snapshot: DealSnapshot, connectionId: string, tenantIdProperty: string): WonDeal {
  const p = snapshot.deal.properties;
  const company = snapshot.company;
  return {
    system: HUBSPOT,
    connectionId,
    dealId: snapshot.deal.id,
    label: `HubSpot deal ${snapshot.deal.id}`,
    dealName: p.dealname?.trim() || `HubSpot deal ${snapshot.deal.id}`,
    closedAt: p.closedate ?? null,
    currency: p.deal_currency_code ?? null,
    currencyField: 'deal_currency_code',
    account: company
      ? { system: HUBSPOT, id: company.id, name: company.properties.name ?? null, tenantId: company.properties[tenantIdProperty] ?? null, tenantIdField: tenantIdProperty, noun: 'company' }
      : null,
    lines: snapshot.lineItems.map(hubspotLineDraft),
    lineFields: HUBSPOT_LINE_FIELDS,
  };
}
