import type { HubContext } from '../../context.ts';
import type { DealSnapshot } from '../../connectors/hubspot/client.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import { Decimal } from '../../engine/decimal.ts';
import { checkedRules, MappingRefused } from '../../mappings/checked.ts';
import { applyMapping } from '../../mappings/engine/apply.ts';
import type { CheckedMapping } from '../../mappings/engine/validate.ts';
import { propertiesRead } from '../../mappings/hubspot/deal-mapping.ts';
import { lineItemPropertiesRead } from '../../mappings/hubspot/line-item-mapping.ts';
import { hubspotLineDrafts, lineItemMapping, type LineItemMapping } from '../../mappings/hubspot/quote-lines.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { recordWonDeal, type DealMapping, type QuoteToCashOutcome, type WonDeal } from '../crm/won-deal.ts';
import { hubspotClientFor } from './client-for-connection.ts';

export const HUBSPOT = 'hubspot';

export interface QuoteToCashPayload {
  connectionId: string;
  dealId: string;
}

const DEAL_OBJECT = mappingObject(HUBSPOT, 'deal')!;
const LINE_ITEM_OBJECT = mappingObject(HUBSPOT, 'line_item')!;

/** One job per deal: every trigger for a deal collapses into the pending one. */
export const quoteToCashJobKey = (dealId: string) => `hubspot:deal:${dealId}`;

/**
 * A won HubSpot deal becomes the customer's billing setup. The deal, its line items and
 * company are re-read from HubSpot (the webhook only says something changed), with the
 * properties the connection's deal mapping in force reads, then recorded as every CRM's
 * won deal is (see recordWonDeal) with that mapping applied.
 */
export async function quoteToCash(payload: QuoteToCashPayload, ctx: HubContext): Promise<QuoteToCashOutcome> {
  const { client, tenantIdProperty, onboardingTemplateProperty } = await hubspotClientFor(ctx, payload.connectionId, (status, waitMs) =>
    ctx.logger.info({ dealId: payload.dealId, status, waitMs }, 'HubSpot call retried'),
  );
  const mapping = await mappingInForce(ctx.db, payload.connectionId, DEAL_OBJECT.object, DEAL_OBJECT.defaultRules);
  let checked: CheckedMapping | MappingRefused;
  try {
    checked = checkedRules(DEAL_OBJECT, mapping.rules);
  } catch (error) {
    if (!(error instanceof MappingRefused)) throw error;
    checked = error;
  }
  const lineRules = await mappingInForce(ctx.db, payload.connectionId, LINE_ITEM_OBJECT.object, LINE_ITEM_OBJECT.defaultRules);
  const lines = lineMappingOf(lineRules.version, lineRules.rules);
  const read: { deal?: string[]; company?: string[] } = checked instanceof MappingRefused ? {} : propertiesRead(checked.specs.keys());
  const extra = {
    ...read,
    ...(onboardingTemplateProperty ? { deal: [...(read.deal ?? []), onboardingTemplateProperty] } : {}),
    ...(lines instanceof MappingRefused ? {} : { lineItem: lineItemPropertiesRead(lines.checked.specs.keys()) }),
  };
  const snapshot = await client.readDeal(payload.dealId, extra);
  if (snapshot.deal.properties.hs_is_closed_won !== 'true') return { outcome: 'not-won' };
  const onboarding = onboardingTemplateProperty ? { onboarding: { field: onboardingTemplateProperty, value: snapshot.deal.properties[onboardingTemplateProperty] ?? null } } : {};
  const deal = dealMapping(snapshot, mapping.version, checked);
  if (lines instanceof MappingRefused) {
    const refused = lines.problems.map((p) => ({ reason: `line item mapping v${lineRules.version} rule ${p.rule} ${p.field}: ${p.reason}` }));
    deal.refused = [...(deal.refused ?? []), ...refused];
    return recordWonDeal(ctx, { ...wonDealOf(snapshot, payload.connectionId, tenantIdProperty, lineItemMapping(0, LINE_ITEM_OBJECT.defaultRules)), mapping: deal, ...onboarding });
  }
  return recordWonDeal(ctx, { ...wonDealOf(snapshot, payload.connectionId, tenantIdProperty, lines), mapping: deal, ...onboarding });
}

function lineMappingOf(version: number, rules: Parameters<typeof lineItemMapping>[1]): LineItemMapping | MappingRefused {
  try {
    return lineItemMapping(version, rules);
  } catch (error) {
    if (error instanceof MappingRefused) return error;
    throw error;
  }
}

function wonDealOf(snapshot: DealSnapshot, connectionId: string, tenantIdProperty: string, lineMapping: LineItemMapping): WonDeal {
  const lines = hubspotLineDrafts(snapshot.lineItems, lineMapping);
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
    lines: lines.drafts,
    lineFields: lineMapping.fields,
    lineMapping: { version: lineMapping.version, problems: lines.problems },
  };
}

/**
 * The deal mapping in force over the deal and company as read and the mapped lines'
 * totals; its problems name the version and rule, so the exception says what to fix.
 */
function dealMapping(snapshot: DealSnapshot, version: number, checked: CheckedMapping | MappingRefused): DealMapping {
  const read = { ...snapshot.deal.properties, hs_lastmodifieddate: undefined };
  if (checked instanceof MappingRefused) {
    return {
      version,
      read,
      refused: checked.problems.map((p) => ({ reason: `mapping v${version} rule ${p.rule} ${p.field}: ${p.reason}` })),
      // Never applied: recordWonDeal turns `refused` into the exception first.
      apply: () => {
        throw checked;
      },
    };
  }
  return {
    version,
    read,
    apply: (totals) => {
      const source = {
        deal: snapshot.deal,
        company: snapshot.company,
        lines: { monthlyTotal: totals.monthlyTotal.toString(), azureMonthlyAmount: totals.azureMonthlyAmount.toString() },
      };
      const quote = applyMapping(checked, DEAL_OBJECT.source, DEAL_OBJECT.target, source);
      const decimal = (path: string) => {
        const value = quote.values.get(path);
        return value instanceof Decimal ? value : undefined;
      };
      const closedAt = quote.values.get('quote.closedAt');
      return {
        currency: String(quote.values.get('quote.currency') ?? ''),
        closedAt: closedAt instanceof Date ? closedAt : null,
        monthlyTotal: decimal('quote.monthlyTotal'),
        azureMonthlyBudget: decimal('quote.azureMonthlyBudget'),
        problems: quote.problems.map((p) => ({ reason: `mapping v${version} rule ${p.rule} (${p.field}): ${p.reason}` })),
        source,
      };
    },
  };
}
