/**
 * One customer's month-end close, pure: categorize → checkCost → rateLines → allocate →
 * buildInvoice → marginReport, over plain values a job loaded. The job persists what
 * comes back; nothing here reads or writes anything.
 *
 * - The cost check runs on every Microsoft line before pricing and only reports.
 * - Late lines of earlier, closed periods become one labelled adjustment per period,
 *   priced with the card (and fx) that priced that period when one is given.
 * - No card, or any line no rule prices: no invoice (the close reports why), never a throw.
 * - Margin is reported for this period's charges (adjustments belong to periods already
 *   reported; the minimum top-up is a customer-level charge with no cost).
 */
import { allocate } from './allocation.ts';
import { categorize } from './categories.ts';
import { checkCost } from './cost-check.ts';
import { ZERO, sum } from './decimal.ts';
import type { Decimal } from './decimal.ts';
import { buildInvoice } from './invoice.ts';
import { marginReport } from './margin.ts';
import { rateLines } from './rating.ts';
import type {
  Allocation,
  AllocationRule,
  BillingLine,
  BillingPeriod,
  CategorizedLine,
  CategoryMapping,
  CostDiscrepancy,
  FxPolicy,
  Invoice,
  InvoiceAdjustment,
  InvoiceSourceLine,
  MarginReport,
  PricedLine,
  RateCard,
  UnpricedLine,
} from './types.ts';

export interface LateAdjustmentInput {
  originalPeriod: BillingPeriod;
  lines: readonly BillingLine[];
  /** The card and fx that price these lines (the original period's, when the caller has it). */
  card: RateCard;
  fx: FxPolicy;
}

export interface CustomerCloseInput {
  customerId: string;
  period: BillingPeriod;
  lines: readonly BillingLine[];
  late: readonly LateAdjustmentInput[];
  mapping: CategoryMapping;
  /** null: the customer has no approved card for the period; nothing is priced. */
  card: RateCard | null;
  fx: FxPolicy | null;
  allocationRules: readonly AllocationRule[];
  unallocatedNodeId: string;
  /** Lines whose Microsoft cost is checked against the documented formula (default: all non-reversal lines). */
  checkCostOf?: (line: BillingLine) => boolean;
  /** Label of the late-usage adjustments. Default 'Late usage'. */
  lateLabel?: string;
}

export interface CustomerCloseResult {
  unmappedLineIds: string[];
  discrepancies: CostDiscrepancy[];
  unpriced: UnpricedLine[];
  /** This period's priced lines (adjustments excluded). */
  priced: PricedLine[];
  /** Every priced line with its allocations, adjustments included. */
  allocated: InvoiceSourceLine[];
  /** Σ cost of every priced line in the card's currency (adjustments included). */
  cost: Decimal;
  invoice: Invoice | null;
  margin: MarginReport | null;
  /** Why no invoice was built, when none was. */
  held: 'no_rate_card' | 'unpriced' | null;
}

function categorizeAll(lines: readonly BillingLine[], mapping: CategoryMapping, unmapped: string[]): CategorizedLine[] {
  return lines.map((line) => {
    const result = categorize(line, mapping);
    if (!result.mapped) unmapped.push(line.id);
    return { ...line, category: result.category };
  });
}

function withAllocations(priced: readonly PricedLine[], rules: readonly AllocationRule[], unallocatedNodeId: string): InvoiceSourceLine[] {
  const allocations = allocate(
    priced.map((p) => ({
      id: p.lineId,
      amount: p.price,
      currency: p.currency,
      tags: p.tags,
      resourceGroup: p.resourceGroup,
      subscriptionId: p.subscriptionId,
      meterCategory: p.meterCategory,
    })),
    rules,
    unallocatedNodeId,
  );
  const byLine = new Map<string, Allocation[]>();
  for (const a of allocations) {
    const list = byLine.get(a.lineId);
    if (list) list.push(a);
    else byLine.set(a.lineId, [a]);
  }
  return priced.map((p) => ({ ...p, allocations: byLine.get(p.lineId) ?? [] }));
}

/**
 * Close one customer's period.
 *
 * @example
 *   const result = closeCustomerPeriod({ customerId, period: '2026-10', lines, late: [], mapping, card, fx,
 *                                        allocationRules, unallocatedNodeId });
 *   result.invoice?.total // exactly Σ result.invoice.lines[].amount
 */
export function closeCustomerPeriod(input: CustomerCloseInput): CustomerCloseResult {
  const shouldCheck = input.checkCostOf ?? ((line: BillingLine) => !line.id.startsWith('r'));
  const lateLines = input.late.flatMap((g) => g.lines);
  const discrepancies = checkCost([...input.lines, ...lateLines].filter(shouldCheck));
  const unmappedLineIds: string[] = [];
  const categorized = categorizeAll(input.lines, input.mapping, unmappedLineIds);
  const lateCategorized = input.late.map((g) => ({ group: g, lines: categorizeAll(g.lines, input.mapping, unmappedLineIds) }));

  const empty = { unmappedLineIds, discrepancies, priced: [], allocated: [], cost: ZERO, invoice: null, margin: null };
  if (!input.card || !input.fx) return { ...empty, unpriced: [], held: 'no_rate_card' };

  const { priced, unpriced } = rateLines(categorized, input.card, input.fx);
  const adjustments: { group: LateAdjustmentInput; priced: PricedLine[] }[] = [];
  for (const { group, lines } of lateCategorized) {
    const rated = rateLines(lines, group.card, group.fx);
    unpriced.push(...rated.unpriced);
    adjustments.push({ group, priced: rated.priced });
  }
  if (unpriced.length > 0) return { ...empty, unpriced, held: 'unpriced' };

  const pricedLines = withAllocations(priced, input.allocationRules, input.unallocatedNodeId);
  const label = input.lateLabel ?? 'Late usage';
  const invoiceAdjustments: InvoiceAdjustment[] = adjustments
    .filter((a) => a.priced.length > 0)
    .map((a) => ({
      id: `late-${a.group.originalPeriod}`,
      originalPeriod: a.group.originalPeriod,
      label,
      lines: withAllocations(a.priced, input.allocationRules, input.unallocatedNodeId),
    }));
  const invoice = buildInvoice({
    customerId: input.customerId,
    period: input.period,
    currency: input.card.currency,
    card: input.card,
    pricedLines,
    adjustments: invoiceAdjustments,
  });
  const cards = [input.card, ...input.late.map((g) => g.card)];
  const margin = marginReport(priced, cards);
  const allocated = [...pricedLines, ...invoiceAdjustments.flatMap((a) => a.lines)];
  return {
    unmappedLineIds,
    discrepancies,
    unpriced: [],
    priced,
    allocated,
    cost: sum(allocated.map((l) => l.cost)),
    invoice,
    margin,
    held: null,
  };
}
