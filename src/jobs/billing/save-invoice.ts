import { sql, type Insertable, type RawBuilder, type Transaction } from 'kysely';
import { writeAudit } from '../../db/audit.ts';
import { sourceOfLineId } from '../../db/billing-lines.ts';
import { insertGroupedLineage, type GroupedLineageRow } from '../../db/usage-groups.ts';
import type { EffectiveRateCard } from '../../db/rate-cards.ts';
import type { Database, InvoiceLineSourcesTable } from '../../db/types.ts';
import type { LabourVersion } from '../../db/period-labour.ts';
import { LINES_NAMED } from '../../engine/counted-list.ts';
import type { EngagementReport } from '../../engine/labour-invoice.ts';
import { Decimal, sum } from '../../engine/decimal.ts';
import type { Invoice, InvoiceLine, MarginReport, MarginRow, RateCard, RateRule } from '../../engine/types.ts';
import { invoiceLineage, type LineLineage } from './lineage.ts';

// Writes an issued invoice: the invoice, its lines, their lineage (grouped: one row per
// invoice line × source kind × fx × allocation split, with the source ids as an array),
// its off-target margin flags. Totals are asserted to equal the sum of the lines, here
// and again in SQL after the insert, before anything commits.

const CHUNK = 500;

export interface SaveInvoiceInput {
  /** The new invoice's id, chosen up front so the previous revision can point to it. */
  id: string;
  runId: string;
  customerId: string;
  period: string;
  revision: number;
  number: string;
  card: EffectiveRateCard;
  /** Every card that priced a line (the period's, and the ones adjustments were priced with). */
  cards: readonly RateCard[];
  invoice: Invoice;
  margin: MarginReport;
  cost: Decimal;
  fingerprint: string;
  inputs: unknown;
  costNodeNames: ReadonlyMap<string, string>;
  /** The invoice's PSA labour per engagement, with the entries only reported; null: none loaded. */
  labour: { engagements: readonly EngagementReport[]; total: string } | null;
  /** PSA entry and version of each labour line id the report names. */
  labourVersions: ReadonlyMap<string, LabourVersion>;
  /** Where the close's usage groups are (UsageGroups.source), on this transaction's session. */
  usageGroups: RawBuilder<unknown>;
}

function labourJson(input: SaveInvoiceInput): string | null {
  if (!input.labour || input.labour.engagements.length === 0) return null;
  const entries = (ids: readonly string[]) => ids.map((id) => ({ labourLineId: id, ...input.labourVersions.get(id)! }));
  return JSON.stringify({
    total: input.labour.total,
    engagements: input.labour.engagements.map((e) => ({
      costNodeId: e.costNodeId,
      name: e.costNodeId ? (input.costNodeNames.get(e.costNodeId) ?? null) : null,
      lineKey: e.lineId,
      billableHours: e.billableHours.toString(),
      nonBillableHours: e.nonBillableHours.toString(),
      amount: e.amount.toString(),
      billableEntries: entries(e.billableEntryIds),
      nonBillableEntries: entries(e.nonBillableEntryIds),
    })),
  });
}

function marginRowJson(row: MarginRow) {
  return {
    category: row.category,
    cost: row.cost.toString(),
    price: row.price.toString(),
    margin: row.margin.toString(),
    marginPercent: row.marginPercent?.toDecimalPlaces(4).toString() ?? null,
    targetMarginPercent: row.targetMarginPercent?.toString() ?? null,
    deviationPoints: row.deviationPoints?.toDecimalPlaces(4).toString() ?? null,
  };
}

/** Insert an issued invoice with its lines and lineage; returns its id. Throws (rolling back) when totals do not add up. */
export async function saveInvoice(trx: Transaction<Database>, input: SaveInvoiceInput): Promise<string> {
  const { invoice, card } = input;
  const lineTotal = sum(invoice.lines.map((l) => l.amount));
  if (!lineTotal.equals(invoice.total)) {
    throw new Error(`Invoice ${input.number}: total ${invoice.total.toString()} is not the sum of its lines ${lineTotal.toString()}`);
  }
  const amountOf = (kind: InvoiceLine['kind']) => sum(invoice.lines.filter((l) => l.kind === kind).map((l) => l.amount));
  const byCategory: Record<string, string> = {};
  for (const [category, amount] of Object.entries(invoice.subtotalsByCategory)) if (amount) byCategory[category] = amount.toString();
  const ruleById = new Map<string, RateRule>();
  for (const c of input.cards) for (const r of c.rules) ruleById.set(`${c.id}@${c.version}:${r.id}`, r);
  const totalRow = input.margin.byCustomer[0];
  const lineage = invoiceLineage(invoice);
  const lineageOf = (line: InvoiceLine): LineLineage => {
    const found = lineage.get(line.id);
    if (!found) throw new Error(`Invoice ${input.number}: no lineage for line ${line.id}`);
    return found;
  };

  const inserted = await trx
    .insertInto('invoices')
    .values({
      id: input.id,
      customer_id: input.customerId,
      period: input.period,
      revision: input.revision,
      number: input.number,
      billing_run_id: input.runId,
      currency: invoice.currency,
      minor_units: invoice.rounding.places,
      rate_card_id: card.id,
      rate_card_version_id: card.versionId,
      rate_card_version: card.version,
      rounding_scope: invoice.rounding.scope,
      rounding_mode: invoice.rounding.mode,
      charges_total: amountOf('charge').toString(),
      adjustments_total: amountOf('adjustment').toString(),
      labour_total: amountOf('labour').toString(),
      labour: labourJson(input),
      minimum_charge: invoice.minimumCharge.toString(),
      rounding_adjustment: invoice.roundingAdjustment.toString(),
      total: invoice.total.toString(),
      cost: input.cost.toString(),
      subtotals_by_category: JSON.stringify(byCategory),
      subtotals_by_cost_node: JSON.stringify(
        invoice.subtotalsByCostNode.map((n) => ({ costNodeId: n.costNodeId, name: input.costNodeNames.get(n.costNodeId) ?? null, amount: n.amount.toString() })),
      ),
      summary: JSON.stringify(invoice.summary),
      margin: JSON.stringify({
        byCategory: input.margin.byCustomerCategory.map(marginRowJson),
        total: totalRow ? marginRowJson(totalRow) : null,
      }),
      margin_flag_count: input.margin.flagCount,
      inputs: JSON.stringify(input.inputs),
      fingerprint: input.fingerprint,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const invoiceId = inserted.id;

  const lineIds = new Map<string, string>();
  for (let i = 0; i < invoice.lines.length; i += CHUNK) {
    const chunk = invoice.lines.slice(i, i + CHUNK);
    const rows = await trx
      .insertInto('invoice_lines')
      .values(
        chunk.map((l, k) => ({
          invoice_id: invoiceId,
          position: i + k + 1,
          line_key: l.id,
          kind: l.kind,
          description: l.description,
          category: l.category,
          subscription_id: l.subscriptionId,
          resource_group: l.resourceGroup,
          meter_id: l.meterId,
          sku: l.sku,
          adjustment_id: l.adjustment?.id ?? null,
          adjustment_period: l.adjustment?.originalPeriod ?? null,
          adjustment_label: l.adjustment?.label ?? null,
          quantity: l.quantity?.toString() ?? null,
          exact_amount: l.exactAmount.toString(),
          amount: l.amount.toString(),
          cost: lineageOf(l).cost.toString(),
          rate_rule_id: l.ruleId,
          rate_card_id: l.cardId,
          rate_card_version: l.cardVersion,
          rounding: JSON.stringify(l.rounding),
          source_count: lineageOf(l).count,
        })),
      )
      .returning(['id', 'line_key'])
      .execute();
    for (const r of rows) lineIds.set(r.line_key, r.id);
  }

  const single: Insertable<InvoiceLineSourcesTable>[] = [];
  const grouped: GroupedLineageRow[] = [];
  for (const l of invoice.lines) {
    for (const g of lineageOf(l).groups) {
      const rule = ruleById.get(`${g.cardId}@${g.cardVersion}:${g.ruleId}`);
      const usage = g.kind === 'usage' || g.kind === 'usage_reversal';
      const labour = g.kind === 'labour' || g.kind === 'labour_reversal';
      const columns = {
        invoice_line_id: lineIds.get(l.id)!,
        source_kind: g.kind,
        rate_rule_id: g.ruleId,
        rate_card_id: g.cardId,
        rate_card_version: g.cardVersion,
        basis: g.basis,
        markup_percent: rule?.markupPercent?.toString() ?? null,
        unit_price: rule?.unitPrice?.toString() ?? null,
        fx: g.fx,
        cost_fx: g.costFx,
        allocation_rule_id: g.allocationRuleId,
        allocation_rule_version: g.allocationRuleVersion,
        cost_node_id: g.costNodeId,
        percent: g.percent,
        // A source's price is never rounded (the invoice line is): unrounded_price = price.
        rounding: JSON.stringify({ ...l.rounding, applied: false }),
        quantity: g.quantity.toString(),
        cost: g.cost.toString(),
        unrounded_price: g.price.toString(),
        price: g.price.toString(),
        allocated_amount: g.allocated.toString(),
      };
      if (g.groupKeys.length > 0) {
        // Sent as one JSON document, so the jsonb columns go as JSON values, not as their text.
        const json = { ...columns, fx: g.fx === null ? null : (JSON.parse(g.fx) as unknown), cost_fx: JSON.parse(g.costFx) as unknown, rounding: JSON.parse(columns.rounding) as unknown };
        grouped.push({ columns: json, groupKeys: g.groupKeys, lineCount: g.lineCount });
      }
      else {
        single.push({
          ...columns,
          usage_line_ids: usage ? (g.ids as number[]) : null,
          license_line_ids: usage || labour ? null : (g.ids as string[]),
          labour_line_ids: labour ? (g.ids as string[]) : null,
          line_count: g.lineCount,
        });
      }
    }
  }
  for (let i = 0; i < single.length; i += CHUNK) {
    await trx.insertInto('invoice_line_sources').values(single.slice(i, i + CHUNK)).execute();
  }
  await insertGroupedLineage(trx, input.usageGroups, grouped);

  const flags = input.margin.flags.slice(0, LINES_NAMED).map((f) => {
    const { kind, id } = sourceOfLineId(f.lineId);
    return {
      invoice_id: invoiceId,
      line_kind: kind,
      line_id: id,
      category: f.category,
      rate_rule_id: f.ruleId,
      cost: f.cost.toString(),
      price: f.price.toString(),
      margin_percent: f.marginPercent?.toDecimalPlaces(4).toString() ?? null,
      target_margin_percent: f.targetMarginPercent.toString(),
      deviation_points: f.deviationPoints?.toDecimalPlaces(4).toString() ?? null,
      reason: f.reason,
    };
  });
  for (let i = 0; i < flags.length; i += CHUNK) await trx.insertInto('invoice_margin_flags').values(flags.slice(i, i + CHUNK)).execute();

  // The database's own sum, in numeric: the invoice commits only if it adds up.
  const check = await sql<{ lines: string | null; total: string }>`
    select (select sum(amount) from invoice_lines where invoice_id = ${invoiceId}::uuid)::text as lines, total::text as total
    from invoices where id = ${invoiceId}::uuid`.execute(trx);
  const row = check.rows[0];
  if (!row || !new Decimal(row.lines ?? '0').equals(new Decimal(row.total))) {
    throw new Error(`Invoice ${input.number}: stored lines sum to ${row?.lines ?? 'nothing'}, not the total ${row?.total ?? '?'}`);
  }
  return invoiceId;
}

/**
 * Mark the customer's issued invoice for the period superseded by the new one (kept, never
 * edited otherwise). Call it before inserting the new one: one invoice per customer and
 * period is issued at a time (the reference to the new id is checked at commit).
 */
export async function supersede(trx: Transaction<Database>, previousId: string, newId: string, actor: { actor: string }): Promise<void> {
  const before = await trx.selectFrom('invoices').select(['id', 'number', 'revision', 'status', 'total']).where('id', '=', previousId).executeTakeFirstOrThrow();
  await trx.updateTable('invoices').set({ status: 'superseded', superseded_by: newId, superseded_at: new Date() }).where('id', '=', previousId).execute();
  await writeAudit(trx, { ...actor, action: 'invoice.supersede', entity: 'invoice', entityId: previousId, before, after: { ...before, status: 'superseded', supersededBy: newId } });
}
