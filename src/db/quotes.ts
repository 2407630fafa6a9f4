import type { Transaction } from 'kysely';
import type { Decimal } from '../engine/decimal.ts';
import type { QuoteLine, QuoteProblem } from '../mappings/crm/quote-lines.ts';
import { entityLinkedTo } from './external-links.ts';
import type { Database } from './types.ts';

// Writes of the CRM quote tables: the deal's identity row, a quote revision with its
// lines and baseline, and the exceptions list.

/** Budget alerts at these percentages of the quoted monthly Azure amount, unless configured otherwise. */
export const DEFAULT_BUDGET_ALERT_PERCENTS = [110, 120];

/** The hub's row for a CRM deal, found through external_links (entity 'deal'), created on first sight. */
export async function dealRow(trx: Transaction<Database>, system: string, externalId: string, connectionId: string, name: string) {
  const linked = await entityLinkedTo(trx, 'deal', system, externalId);
  if (linked) return trx.selectFrom('deals').selectAll().where('id', '=', linked).forUpdate().executeTakeFirstOrThrow();
  const deal = await trx.insertInto('deals').values({ connection_id: connectionId, name }).returningAll().executeTakeFirstOrThrow();
  await trx.insertInto('external_links').values({ entity: 'deal', entity_id: deal.id, system, external_id: externalId }).execute();
  return deal;
}

export interface NewQuote {
  dealId: string;
  revision: number;
  customerId: string;
  currency: string;
  closedAt: Date | null;
  lines: QuoteLine[];
  monthlyTotal: Decimal;
  azureMonthlyBudget: Decimal;
  expectedSeats: Map<string, Decimal>;
  rateCardId: string;
  rateCardVersion: number;
  fingerprint: string;
  createdBy: string;
  /** The deal mapping version used (0: the built-in default or no mapping) and the record it read (none for a CRM without a mapping). */
  mappingVersion: number;
  mappingSource: unknown;
  /** The line mapping version that made the lines (0: the built-in default or lines mapped in code). */
  lineMappingVersion?: number;
}

export async function insertQuote(trx: Transaction<Database>, quote: NewQuote): Promise<string> {
  const row = await trx
    .insertInto('quotes')
    .values({
      deal_id: quote.dealId,
      revision: quote.revision,
      customer_id: quote.customerId,
      currency: quote.currency,
      closed_at: quote.closedAt,
      monthly_total: quote.monthlyTotal.toString(),
      azure_monthly_budget: quote.azureMonthlyBudget.toString(),
      budget_alert_percents: DEFAULT_BUDGET_ALERT_PERCENTS,
      rate_card_id: quote.rateCardId,
      rate_card_version: quote.rateCardVersion,
      fingerprint: quote.fingerprint,
      created_by: quote.createdBy,
      mapping_version: quote.mappingVersion,
      mapping_source: quote.mappingSource == null ? null : JSON.stringify(quote.mappingSource),
      line_mapping_version: quote.lineMappingVersion ?? 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('quote_lines')
    .values(
      quote.lines.map((l) => ({
        quote_id: row.id,
        position: l.position,
        kind: l.kind,
        sku: l.sku,
        category: l.category,
        name: l.name,
        quantity: l.quantity.toString(),
        unit_price: l.unitPrice.toString(),
        discount_per_unit: l.discountPerUnit?.toString() ?? null,
        discount_percent: l.discountPercent?.toString() ?? null,
        net_unit_price: l.netUnitPrice.toString(),
        unit_cost: l.unitCost?.toString() ?? null,
        markup_percent: l.markupPercent?.toString() ?? null,
        monthly_amount: l.monthlyAmount.toString(),
        term: l.term,
        billing_frequency: l.billingFrequency,
        source: JSON.stringify(l.source),
      })),
    )
    .execute();
  if (quote.expectedSeats.size > 0) {
    await trx
      .insertInto('quote_expected_seats')
      .values([...quote.expectedSeats].map(([sku, seats]) => ({ quote_id: row.id, sku, seats: seats.toString() })))
      .execute();
  }
  return row.id;
}

/** Opens (or refreshes) the deal's one open exception with every problem found. */
export async function recordQuoteException(trx: Transaction<Database>, dealId: string, reason: string, problems: QuoteProblem[]): Promise<string> {
  const open = await trx.selectFrom('quote_exceptions').select(['id', 'attempts']).where('deal_id', '=', dealId).where('status', '=', 'open').forUpdate().executeTakeFirst();
  if (open) {
    await trx.updateTable('quote_exceptions').set({ reason, problems: JSON.stringify(problems), attempts: open.attempts + 1 }).where('id', '=', open.id).execute();
    return open.id;
  }
  const row = await trx.insertInto('quote_exceptions').values({ deal_id: dealId, reason, problems: JSON.stringify(problems) }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/** A deal that now maps needs no review any more. */
export async function resolveQuoteExceptions(trx: Transaction<Database>, dealId: string): Promise<void> {
  await trx.updateTable('quote_exceptions').set({ status: 'resolved' }).where('deal_id', '=', dealId).where('status', '=', 'open').execute();
}
