import type { HubContext } from '../../context.ts';
import type { OpportunitySnapshot, SalesforceFieldNames } from '../../connectors/salesforce/client.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import { salesforceLineDraft, salesforceLineFields } from '../../mappings/salesforce/quote-lines.ts';
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
 * recorded as every CRM's won deal is (see recordWonDeal).
 */
export async function salesforceQuoteToCash(payload: SalesforceQuoteToCashPayload, ctx: HubContext): Promise<QuoteToCashOutcome> {
  const { client, fields } = await salesforceClientFor(ctx, payload.connectionId, (errorCode, waitMs) =>
    ctx.logger.info({ opportunityId: payload.opportunityId, errorCode, waitMs }, 'Salesforce call retried'),
  );
  const snapshot = await client.readOpportunity(payload.opportunityId);
  if (snapshot.opportunity.IsWon !== true) return { outcome: 'not-won' };
  const orgCurrency = fields.multiCurrency ? null : await connectionOrgCurrency(ctx, payload.connectionId);
  return recordWonDeal(ctx, wonDealOf(snapshot, payload.connectionId, fields, orgCurrency));
}

async function connectionOrgCurrency(ctx: HubContext, connectionId: string): Promise<string | null> {
  const { row } = await loadConnectionSecrets(ctx, connectionId);
  const value = (row.settings as Record<string, unknown>).orgCurrency;
  return typeof value === 'string' ? value : null;
}

function wonDealOf(snapshot: OpportunitySnapshot, connectionId: string, fields: SalesforceFieldNames, orgCurrency: string | null): WonDeal {
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
    lines: snapshot.lineItems.map((line) => salesforceLineDraft(line, fields)),
    lineFields: salesforceLineFields(fields, snapshot.linesFrom),
    ...(fields.onboardingTemplateField ? { onboarding: { field: fields.onboardingTemplateField, value: str(o[fields.onboardingTemplateField]) } } : {}),
  };
}
