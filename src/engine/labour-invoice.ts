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
import { roundToMinorUnit } from './money.ts';
import type { BillingPeriod, CurrencyCode, Invoice, InvoiceLine, InvoiceLineSource, InvoiceSummaryLine } from './types.ts';

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

/** One PSA entry version as an invoice line's source: hours × its own rate, all of it on `node`, no cost. */
function entrySource(invoice: Invoice, lineId: string, quantity: Decimal, price: Decimal, node: string): InvoiceLineSource {
  const currency = invoice.currency;
  return {
    lineId,
    lineCount: 1,
    groupKey: null,
    ruleId: 'entry_rate',
    cardId: invoice.cardId,
    cardVersion: invoice.cardVersion,
    basis: 'entry_rate',
    quantity,
    price,
    cost: ZERO,
    fx: null,
    costFx: { from: currency, to: currency, rate: new Decimal(1), source: 'identity', rateDate: '', rateId: null },
    allocations: [{ lineId, costNodeId: node, ruleId: null, ruleVersion: null, percent: HUNDRED, amount: price }],
  };
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
        return entrySource(invoice, `pl:${entryId}`, entry.hoursBillable, entry.hoursBillable.times(entry.rate!), node);
      }),
    });
  }
  const added = appendLabourLines(invoice, labourLines);
  return { invoice: added.invoice, engagements, total: added.total };
}

/**
 * The invoice with labour lines added after its charges and adjustments, before the
 * minimum and rounding lines; each line's amount goes to the cost node its sources are
 * allocated to (a line's sources share one node).
 */
function appendLabourLines(invoice: Invoice, labourLines: readonly InvoiceLine[]): { invoice: Invoice; total: Decimal } {
  if (labourLines.length === 0) return { invoice, total: ZERO };
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
    total,
  };
}

/**
 * A change to one PSA entry after its period was closed: `current` is the version to bill
 * now (a deletion is a version with no billable hours), `billed` the version the closed
 * invoices billed (null: none, the entry is new). Both are labour lines (entryId: the
 * labour line's id).
 */
export interface LateLabourChange {
  /** The closed period the change belongs to. */
  period: BillingPeriod;
  /** The PSA's own entry id, for the line's description. */
  psaEntryId: string;
  current: LabourEntry;
  billed: LabourEntry | null;
}

export interface LateLabourOnInvoice {
  invoice: Invoice;
  /** Σ of the late-labour lines' amounts. */
  total: Decimal;
}

const signedHours = (e: LabourEntry) => (e.billable ? e.hoursBillable : ZERO);
const entryPrice = (e: LabourEntry) => (e.billable ? e.hoursBillable.times(e.rate!) : ZERO);

/**
 * Late labour as labelled adjustments, never an edit of the closed invoice: one line per
 * closed period and engagement, 'Late labour (2026-10), Migration: -2 h (entry 501)',
 * whose amount is what the current versions bill less what the billed versions did, at
 * each version's own rate, rounded once per line. Lineage: the current version as a
 * 'labour' source (+), the billed version as a 'labour_reversal' source (−), each on its
 * own engagement (an entry moved to another project takes its amount back from the old
 * one). A change that bills nothing either way (non-billable before and after) adds no line.
 *
 * @example
 * // entry 501 billed 10 h × 150 in 2026-10, edited to 8 h after the close:
 * addLateLabour(invoice, [{ period: '2026-10', psaEntryId: '501', billed: v1, current: v2 }], unallocatedId, names)
 * // one line 'Late labour (2026-10), Migration: -2 h (entry 501)', amount -300.00
 */
export function addLateLabour(invoice: Invoice, changes: readonly LateLabourChange[], unallocatedNodeId: string, names: ReadonlyMap<string, string>): LateLabourOnInvoice {
  const { currency, rounding } = invoice;
  type Part = { change: LateLabourChange; entry: LabourEntry; sign: 1 | -1 };
  const groups = new Map<string, { period: BillingPeriod; costNodeId: string | null; parts: Part[] }>();
  const add = (change: LateLabourChange, entry: LabourEntry, sign: 1 | -1) => {
    if (!entry.billable) return;
    const key = `${change.period}|${entry.costNodeId ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { period: change.period, costNodeId: entry.costNodeId, parts: [] }));
    g.parts.push({ change, entry, sign });
  };
  for (const c of changes) {
    if (c.billed) add(c, c.billed, -1);
    add(c, c.current, 1);
  }
  const ordered = [...groups.values()].sort((a, b) => (a.period !== b.period ? (a.period < b.period ? -1 : 1) : (a.costNodeId ?? '\uffff') < (b.costNodeId ?? '\uffff') ? -1 : 1));
  const lines: InvoiceLine[] = ordered.map((g) => {
    const node = g.costNodeId ?? unallocatedNodeId;
    const name = g.costNodeId ? (names.get(g.costNodeId) ?? g.costNodeId) : 'outside any project';
    const hours = sum(g.parts.map((p) => signedHours(p.entry).times(p.sign)));
    const exactAmount = sum(g.parts.map((p) => entryPrice(p.entry).times(p.sign)));
    const entries = [...new Set(g.parts.map((p) => p.change.psaEntryId))];
    const adjustmentId = `late-labour-${g.period}`;
    return {
      id: `late-labour|${g.period}|${g.costNodeId ?? 'none'}`,
      kind: 'labour',
      description: `Late labour (${g.period}), ${name}: ${hours.toString()} h (${entries.length === 1 ? 'entry' : 'entries'} ${entries.join(', ')})`,
      category: null,
      subscriptionId: null,
      resourceGroup: null,
      meterId: null,
      sku: null,
      adjustment: { id: adjustmentId, originalPeriod: g.period, label: 'Late labour' },
      quantity: hours,
      exactAmount,
      amount: roundToMinorUnit(exactAmount, currency, rounding.mode),
      ruleId: null,
      cardId: invoice.cardId,
      cardVersion: invoice.cardVersion,
      rounding,
      sources: g.parts.map((p) =>
        entrySource(invoice, `${p.sign === 1 ? 'pl' : 'rpl'}:${p.entry.entryId}`, signedHours(p.entry).times(p.sign), entryPrice(p.entry).times(p.sign), node),
      ),
    };
  });
  return appendLabourLines(invoice, lines);
}
