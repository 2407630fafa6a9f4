import type { Selectable } from 'kysely';
import { Decimal } from '../engine/decimal.ts';
import type { Allocation, ChargeCategory, Invoice, InvoiceLine, InvoiceLineSource, InvoiceSummaryLine, RoundingMode, RoundingScope } from '../engine/types.ts';
import type { InvoiceParty } from '../documents/invoice-view.ts';
import type { Db } from './database.ts';
import { DEFAULT_PAYMENT_TERMS_DAYS, loadInvoiceSeller } from './settings.ts';
import type { Database } from './types.ts';

// Reads stored invoices back: as rows for the API, and as the engine's Invoice for the
// documents (amounts exactly as issued; lineage reduced to what a document shows).

export type InvoiceRow = Selectable<Database['invoices']>;
export type InvoiceLineRow = Selectable<Database['invoice_lines']>;
export type InvoiceSourceRow = Selectable<Database['invoice_line_sources']>;

export async function invoiceLines(db: Db, invoiceId: string): Promise<InvoiceLineRow[]> {
  return db.selectFrom('invoice_lines').selectAll().where('invoice_id', '=', invoiceId).orderBy('position').execute();
}

export async function invoiceSources(db: Db, lineIds: string[]): Promise<InvoiceSourceRow[]> {
  if (lineIds.length === 0) return [];
  return db.selectFrom('invoice_line_sources').selectAll().where('invoice_line_id', 'in', lineIds).orderBy('id').execute();
}

/**
 * The engine's Invoice as it was issued. Each line's sources are its Partner Center lines
 * (as many as it had); their allocations carry the line's amount per cost node.
 */
export async function loadEngineInvoice(db: Db, invoice: InvoiceRow): Promise<Invoice> {
  const lines = await invoiceLines(db, invoice.id);
  const sources = await invoiceSources(db, lines.map((l) => l.id));
  const byLine = new Map<string, InvoiceSourceRow[]>();
  for (const s of sources) byLine.set(s.invoice_line_id, [...(byLine.get(s.invoice_line_id) ?? []), s]);
  const rounding = { scope: invoice.rounding_scope as RoundingScope, mode: invoice.rounding_mode as RoundingMode, places: invoice.minor_units };

  const engineLines: InvoiceLine[] = lines.map((l) => {
    const rows = byLine.get(l.id) ?? [];
    const byNode = new Map<string, Decimal>();
    for (const s of rows) byNode.set(s.cost_node_id, (byNode.get(s.cost_node_id) ?? new Decimal(0)).plus(s.allocated_amount));
    const allocations: Allocation[] = [...byNode].map(([costNodeId, amount]) => ({
      lineId: l.line_key,
      costNodeId,
      ruleId: null,
      ruleVersion: null,
      percent: new Decimal(0),
      amount,
    }));
    const source = (withAllocations: boolean): InvoiceLineSource => ({
      lineId: l.line_key,
      lineCount: 1,
      groupKey: null,
      ruleId: l.rate_rule_id ?? '',
      cardId: l.rate_card_id,
      cardVersion: l.rate_card_version,
      basis: 'cost',
      quantity: new Decimal(0),
      price: new Decimal(0),
      cost: new Decimal(0),
      fx: null,
      costFx: { from: invoice.currency, to: invoice.currency, rate: new Decimal(1), source: 'identity', rateDate: '1970-01-01', rateId: null },
      allocations: withAllocations ? allocations : [],
    });
    const count = l.source_count;
    const lineSources = count === 0 ? [] : [source(true), ...Array<InvoiceLineSource>(count - 1).fill(source(false))];
    return {
      id: l.line_key,
      kind: l.kind as InvoiceLine['kind'],
      description: l.description,
      category: l.category as ChargeCategory | null,
      subscriptionId: l.subscription_id,
      resourceGroup: l.resource_group,
      meterId: l.meter_id,
      sku: l.sku,
      adjustment: l.adjustment_id ? { id: l.adjustment_id, originalPeriod: l.adjustment_period!, label: l.adjustment_label! } : null,
      quantity: l.quantity === null ? null : new Decimal(l.quantity),
      exactAmount: new Decimal(l.exact_amount),
      amount: new Decimal(l.amount),
      ruleId: l.rate_rule_id,
      cardId: l.rate_card_id,
      cardVersion: l.rate_card_version,
      rounding,
      sources: lineSources,
    };
  });

  const summary = (invoice.summary as Array<Record<string, unknown>>).map(
    (s): InvoiceSummaryLine => ({
      kind: s.kind as InvoiceSummaryLine['kind'],
      category: (s.category ?? null) as ChargeCategory | null,
      adjustmentId: (s.adjustmentId ?? null) as string | null,
      description: String(s.description),
      amount: new Decimal(String(s.amount)),
      lineIds: s.lineIds as string[],
    }),
  );
  const subtotalsByCategory: Partial<Record<ChargeCategory, Decimal>> = {};
  for (const [category, amount] of Object.entries(invoice.subtotals_by_category as Record<string, string>)) {
    subtotalsByCategory[category as ChargeCategory] = new Decimal(amount);
  }
  return {
    customerId: invoice.customer_id,
    period: invoice.period,
    currency: invoice.currency,
    cardId: invoice.rate_card_id,
    cardVersion: invoice.rate_card_version,
    rounding,
    lines: engineLines,
    summary,
    subtotalsByCategory,
    subtotalsByCostNode: (invoice.subtotals_by_cost_node as Array<{ costNodeId: string; amount: string }>).map((n) => ({ costNodeId: n.costNodeId, amount: new Decimal(n.amount) })),
    minimumCharge: new Decimal(invoice.minimum_charge),
    roundingAdjustment: new Decimal(invoice.rounding_adjustment),
    total: new Decimal(invoice.total),
  };
}

/** Seller header of invoice documents and payment terms, from the `invoice.seller` setting (PUT /v1/settings/invoice-seller). */
export interface InvoiceSellerSetting extends InvoiceParty {
  /** The seller's contact address (the documents print a party's billingEmail). */
  billingEmail?: string | null;
  paymentTermsDays?: number;
}

export const DEFAULT_SELLER: InvoiceSellerSetting = { name: 'CSP Billing Hub', addressLines: [], taxId: null, paymentTermsDays: DEFAULT_PAYMENT_TERMS_DAYS };

export async function loadSellerSetting(db: Db): Promise<InvoiceSellerSetting> {
  const stored = await loadInvoiceSeller(db);
  if (!stored) return DEFAULT_SELLER;
  const { name, addressLines, taxId, email, paymentTermsDays } = stored.value;
  return { name: name.trim() === '' ? DEFAULT_SELLER.name : name, addressLines, taxId, billingEmail: email, paymentTermsDays };
}
