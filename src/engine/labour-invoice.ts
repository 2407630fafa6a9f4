/**
 * Combined invoices: a customer's PSA labour added to the invoice of its Microsoft lines.
 *
 * - One 'labour' line per engagement (project cost node; work outside any project is its
 *   own engagement, allocated to the unallocated node), priced by priceLabour: billable
 *   hours × each entry's own rate, rounded once per engagement. The card prices nothing
 *   here, and its minimum tops up the Microsoft charges only.
 * - Each billable entry version is one source of its engagement's line (`pl:<labour line
 *   id>`), so the lineage names the PSA entry version that was billed.
 * - Non-billable entries are reported per engagement (hours and entries), never charged.
 * - Labour lines sit after the charges and adjustments, before the minimum and rounding
 *   lines; every amount is already whole minor units, so the invoice's own rounding is
 *   untouched and total = Microsoft total + labour total exactly.
 * - PSA rates are taken as being in the customer's billing currency: an invoice in
 *   another currency cannot carry them, and the caller holds the invoice rather than
 *   drop the labour (`labourCurrencyProblem`).
 */
import { Decimal, ZERO, sum } from './decimal.ts';
import { priceLabour, type LabourEntry } from './labour.ts';
import type { CurrencyCode, Invoice, InvoiceLine, InvoiceSummaryLine } from './types.ts';

const HUNDRED = new Decimal(100);

/** One engagement of the labour report: what was charged and what was only reported. */
export interface EngagementReport {
  costNodeId: string | null;
  /** The invoice line charging it; null when it has no billable hours. */
  lineId: string | null;
  billableHours: Decimal;
  nonBillableHours: Decimal;
  amount: Decimal;
  billableEntryIds: string[];
  nonBillableEntryIds: string[];
}

export interface LabourOnInvoice {
  invoice: Invoice;
  engagements: EngagementReport[];
  /** Σ of the labour lines' amounts. */
  total: Decimal;
}

/** Why labour in `labourCurrency` cannot go on an invoice in `invoiceCurrency`; null when it can. */
export function labourCurrencyProblem(entries: readonly LabourEntry[], labourCurrency: CurrencyCode, invoiceCurrency: CurrencyCode): string | null {
  if (!entries.some((e) => e.billable) || labourCurrency.toUpperCase() === invoiceCurrency.toUpperCase()) return null;
  return `billable PSA labour is priced in the customer's billing currency ${labourCurrency}, but the rate card invoices in ${invoiceCurrency}`;
}

function labourLineId(costNodeId: string | null): string {
  return `labour|${costNodeId ?? 'none'}`;
}

/**
 * The invoice with the labour of `entries` added (entryId: the labour line's id, one version
 * of one PSA entry). `names`: cost node names for the line descriptions.
 *
 * @example
 * addLabour(invoice, [{ entryId: 'a1', costNodeId: 'n1', billable: true, hoursWorked: new Decimal(10), hoursBillable: new Decimal(10), rate: new Decimal(150) }], 'unallocated-id', new Map([['n1', 'Migration']]))
 * // invoice.total grows by 1500.00; one line 'Labour, Migration: 10 h'
 */
export function addLabour(invoice: Invoice, entries: readonly LabourEntry[], unallocatedNodeId: string, names: ReadonlyMap<string, string>): LabourOnInvoice {
  const { currency, rounding } = invoice;
  const priced = priceLabour(entries, currency, rounding.mode);
  const byId = new Map(entries.map((e) => [e.entryId, e]));
  const labourLines: InvoiceLine[] = [];
  const engagements: EngagementReport[] = [];
  for (const e of priced.engagements) {
    const billable = e.billableEntryIds.length > 0;
    const id = billable ? labourLineId(e.costNodeId) : null;
    engagements.push({ costNodeId: e.costNodeId, lineId: id, billableHours: e.billableHours, nonBillableHours: e.nonBillableHours, amount: e.amount, billableEntryIds: e.billableEntryIds, nonBillableEntryIds: e.nonBillableEntryIds });
    if (id === null) continue;
    const node = e.costNodeId ?? unallocatedNodeId;
    const name = e.costNodeId ? (names.get(e.costNodeId) ?? e.costNodeId) : 'outside any project';
    labourLines.push({
      id,
      kind: 'labour',
      description: `Labour, ${name}: ${e.billableHours.toString()} h`,
      category: null,
      subscriptionId: null,
      resourceGroup: null,
      meterId: null,
      sku: null,
      adjustment: null,
      quantity: e.billableHours,
      exactAmount: e.exactAmount,
      amount: e.amount,
      ruleId: null,
      cardId: invoice.cardId,
      cardVersion: invoice.cardVersion,
      rounding,
      sources: e.billableEntryIds.map((entryId) => {
        const entry = byId.get(entryId)!;
        const price = entry.hoursBillable.times(entry.rate!);
        const lineId = `pl:${entryId}`;
        return {
          lineId,
          lineCount: 1,
          groupKey: null,
          ruleId: 'entry_rate',
          cardId: invoice.cardId,
          cardVersion: invoice.cardVersion,
          basis: 'entry_rate' as const,
          quantity: entry.hoursBillable,
          price,
          cost: ZERO,
          fx: null,
          costFx: { from: currency, to: currency, rate: new Decimal(1), source: 'identity' as const, rateDate: '', rateId: null },
          allocations: [{ lineId, costNodeId: node, ruleId: null, ruleVersion: null, percent: HUNDRED, amount: price }],
        };
      }),
    });
  }
  if (labourLines.length === 0) return { invoice, engagements, total: ZERO };

  const isTail = (l: { kind: string }) => l.kind === 'minimum' || l.kind === 'rounding';
  const lines = [...invoice.lines.filter((l) => !isTail(l)), ...labourLines, ...invoice.lines.filter(isTail)];
  const labourSummary: InvoiceSummaryLine[] = labourLines.map((l) => ({ kind: 'labour', category: null, adjustmentId: null, description: l.description, amount: l.amount, lineIds: [l.id] }));
  const summary = [...invoice.summary.filter((s) => !isTail(s)), ...labourSummary, ...invoice.summary.filter(isTail)];
  const byNode = new Map(invoice.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount]));
  for (const l of labourLines) {
    const node = l.sources[0]!.allocations[0]!.costNodeId;
    byNode.set(node, (byNode.get(node) ?? ZERO).plus(l.amount));
  }
  const total = sum(labourLines.map((l) => l.amount));
  return {
    invoice: {
      ...invoice,
      lines,
      summary,
      subtotalsByCostNode: [...byNode.keys()].sort().map((costNodeId) => ({ costNodeId, amount: byNode.get(costNodeId)! })),
      total: invoice.total.plus(total),
    },
    engagements,
    total,
  };
}
