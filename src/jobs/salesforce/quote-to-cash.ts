import type { HubContext } from '../../context.ts';
import type { OpportunitySnapshot, SalesforceFieldNames } from '../../connectors/salesforce/client.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import { MappingRefused } from '../../mappings/checked.ts';
import { lineFieldsRead, salesforceLineItemDefault } from '../../mappings/salesforce/line-item-mapping.ts';
import { salesforceLineDrafts, salesforceLineFields, salesforceLineMapping, type SalesforceLineMapping } from '../../mappings/salesforce/quote-lines.ts';
import { recordWonDeal, type QuoteToCashOutcome, type WonDeal } from '../crm/won-deal.ts';
import { salesforceClientFor } from './client-for-connection.ts';

export const SALESFORCE = 'salesforce';
export const SALESFORCE_QUOTE_TO_CASH_TASK = 'salesforce:quote_to_cash';

export interface SalesforceQuoteToCashPayload {
  connectionId: string;
  opportunityId: string;
}

/** One job per opportunity (its 15-character id, the same for either form): every trigger collapses into the pending one. */
export const salesforceJobKey = (opportunityId: string) => `salesforce:opportunity:${opportunityId.slice(0, 15)}`;

/**
 * A won Salesforce opportunity becomes the customer's billing setup. The Opportunity, its
 * lines (the synced Quote's QuoteLineItems, else its OpportunityLineItems) and Account are re-read by SOQL (an Outbound Message carries one
 * object's chosen fields as they were when sent, a Flow callout only the id), then
 * recorded as every CRM's won deal is (see recordWonDeal), its lines through the
 * connection's line_item mapping in force (whose fields the line query selects).
 */
export async function salesforceQuoteToCash(payload: SalesforceQuoteToCashPayload, ctx: HubContext): Promise<QuoteToCashOutcome> {
  const { client, fields } = await salesforceClientFor(ctx, payload.connectionId, (errorCode, waitMs) =>
    ctx.logger.info({ opportunityId: payload.opportunityId, errorCode, waitMs }, 'Salesforce call retried'),
  );
  const inForce = await mappingInForce(ctx.db, payload.connectionId, 'line_item', salesforceLineItemDefault(fields));
  const lineMapping = lineMappingOf(inForce.version, inForce.rules);
  const snapshot = await client.readOpportunity(payload.opportunityId, lineMapping instanceof MappingRefused ? [] : lineFieldsRead(lineMapping.checked.specs.keys()));
  if (snapshot.opportunity.IsWon !== true) return { outcome: 'not-won' };
  const orgCurrency = fields.multiCurrency ? null : await connectionOrgCurrency(ctx, payload.connectionId);
  return recordWonDeal(ctx, wonDealOf(snapshot, payload.connectionId, fields, orgCurrency, inForce.version, lineMapping));
}

/** A stored mapping the schemas now refuse: the deal becomes an exception naming its rules, never mapped by another version. */
function lineMappingOf(version: number, rules: Parameters<typeof salesforceLineMapping>[1]): SalesforceLineMapping | MappingRefused {
  try {
    return salesforceLineMapping(version, rules);
  } catch (error) {
    if (error instanceof MappingRefused) return error;
    throw error;
  }
}

async function connectionOrgCurrency(ctx: HubContext, connectionId: string): Promise<string | null> {
  const { row } = await loadConnectionSecrets(ctx, connectionId);
  const value = (row.settings as Record<string, unknown>).orgCurrency;
  return typeof value === 'string' ? value : null;
}

function wonDealOf(snapshot: OpportunitySnapshot, connectionId: string, fields: SalesforceFieldNames, orgCurrency: string | null, version: number, mapping: SalesforceLineMapping | MappingRefused): WonDeal {
  const o = snapshot.opportunity;
  const a = snapshot.account;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    system: SALESFORCE,
    connectionId,
    dealId: o.Id,
    label: `Salesforce opportunity ${o.Id}`,
    dealName: str(o.Name)?.trim() || `Salesforce opportunity ${o.Id}`,
    closedAt: str(o.CloseDate),
    currency: orgCurrency ?? str(o.CurrencyIsoCode),
    currencyField: orgCurrency ? 'the orgCurrency setting' : 'CurrencyIsoCode',
    account: a ? { system: SALESFORCE, id: a.Id, name: str(a.Name), tenantId: str(a[fields.tenantIdField]), tenantIdField: fields.tenantIdField, noun: 'Account' } : null,
    ...linesOf(snapshot, version, mapping),
    ...(fields.onboardingTemplateField ? { onboarding: { field: fields.onboardingTemplateField, value: str(o[fields.onboardingTemplateField]) } } : {}),
  };
}

function linesOf(snapshot: OpportunitySnapshot, version: number, mapping: SalesforceLineMapping | MappingRefused): Pick<WonDeal, 'lines' | 'lineFields' | 'lineMapping'> {
  if (mapping instanceof MappingRefused) {
    const problems = mapping.problems.map((p) => ({ reason: `line item mapping v${version} rule ${p.rule} ${p.field}: ${p.reason}` }));
    return { lines: [], lineFields: salesforceLineFields([], snapshot.linesFrom), lineMapping: { version, problems } };
  }
  const { drafts, problems } = salesforceLineDrafts(snapshot.lineItems, mapping);
  return { lines: drafts, lineFields: salesforceLineFields(mapping.rules, snapshot.linesFrom), lineMapping: { version, problems } };
}
