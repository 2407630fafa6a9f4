/**
 * One customer's month-end close, pure: checkCost → categorize → rateLines → allocate →
 * buildInvoice → marginReport, over plain values a job loaded. The job persists what
 * comes back; nothing here reads or writes anything.
 *
 * - A line may stand for a group of source lines (`UsageLine.group`): the database sums
 *   the lines that price, convert, allocate and land on an invoice line alike (see
 *   src/db/usage-groups.ts), and pricing is linear in cost and quantity, so a group
 *   prices as the sum of its lines. Counts (unmapped, untagged, off-target lines) count
 *   the source lines a group stands for; the ids a result names are each group's first
 *   line.
 * - The cost check runs on every Microsoft line before pricing and only reports. A
 *   group's sums cannot be checked against a per-line formula, so groups are skipped and
 *   the caller passes the source lines to check in `costCheckLines`.
 * - The seat check (checkSeats) compares the hub's own seat events with this period's
 *   licence lines and only reports, like the cost check.
 * - Late lines of earlier, closed periods become one labelled adjustment per period,
 *   priced with the card (and fx) that priced that period when one is given.
 * - No card, or any line no rule prices: no invoice (the close reports why), never a throw.
 * - Margin is reported for this period's charges (adjustments belong to periods already
 *   reported; the minimum top-up is a customer-level charge with no cost).
 */
import { lineAllocator, startTagCompliance } from './allocation.ts';
import { categorize } from './categories.ts';
import { CountedList, LINES_NAMED } from './counted-list.ts';
import { checkCost } from './cost-check.ts';
import { ZERO, sum } from './decimal.ts';
import type { Decimal } from './decimal.ts';
import { EngineError } from './errors.ts';
import { buildInvoice } from './invoice.ts';
import { startMarginReport } from './margin.ts';
import { rateLinesWithCategories } from './rating.ts';
import { checkSeats } from './seat-check.ts';
import type {
  AllocationRule,
  BillingLine,
  BillingPeriod,
  CategoryMapping,
  ChargeCategory,
  CostDiscrepancy,
  FxPolicy,
  Invoice,
  InvoiceAdjustment,
  InvoiceSourceLine,
  MarginReport,
  PricedLine,
  RateCard,
  SeatCheckSubscription,
  SeatFinding,
  TagCompliance,
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
  /** This period's lines: source lines, or groups of them (UsageLine.group). */
  lines: readonly BillingLine[];
  late: readonly LateAdjustmentInput[];
  mapping: CategoryMapping;
  /** null: the customer has no approved card for the period; nothing is priced. */
  card: RateCard | null;
  fx: FxPolicy | null;
  allocationRules: readonly AllocationRule[];
  unallocatedNodeId: string;
  /** Source lines the cost check reads besides the ungrouped lines of `lines` (the caller's pick among the grouped ones). */
  costCheckLines?: readonly BillingLine[];
  /** Lines whose Microsoft cost is checked against the documented formula (default: every source line that is not a reversal). */
  checkCostOf?: (line: BillingLine) => boolean;
  /** Label of the late-usage adjustments. Default 'Late usage'. */
  lateLabel?: string;
  /** The customer's licence subscriptions with the hub's own events: checked against this period's licence lines (see checkSeats). */
  seatSubscriptions?: readonly SeatCheckSubscription[];
  /** Tag keys every usage line should carry (see `usageTagCompliance`). Absent: tag compliance is not computed. */
  requiredTags?: readonly string[];
}

export interface CustomerCloseResult {
  /** How many source lines no category mapping claims (they are charged as 'other'). */
  unmappedLines: number;
  /** The first of them (of a group, its first line), at most LINES_NAMED. */
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
  /** Where the hub's seat events and this period's licence lines disagree (empty when no seatSubscriptions were given). Reported, never fixed. */
  seatFindings: SeatFinding[];
  /** Share of this period's usage cost carrying `requiredTags`; null when none were given. Computed for held invoices too. */
  tagCompliance: TagCompliance | null;
}

/** How many source lines a line stands for. */
export function lineCountOf(line: BillingLine): number {
  return line.kind === 'usage' && line.group ? line.group.lineCount : 1;
}

function categorizeAll(lines: readonly BillingLine[], mapping: CategoryMapping, unmapped: CountedList<string>): ChargeCategory[] {
  return lines.map((line) => {
    const r = categorize(line, mapping);
    if (!r.mapped) unmapped.add(line.id, lineCountOf(line));
    return r.category;
  });
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
  const { card, fx, late } = input;
  const periods = new Set<string>();
  for (const g of late) {
    if (g.originalPeriod >= input.period || periods.has(g.originalPeriod)) {
      throw new EngineError('invalid_input', `Late group ${g.originalPeriod} must be a period before ${input.period}, given once`, { originalPeriod: g.originalPeriod });
    }
    periods.add(g.originalPeriod);
  }

  const shouldCheck = input.checkCostOf ?? ((line: BillingLine) => !line.id.startsWith('r'));
  const sourceLines = (lines: readonly BillingLine[]) => lines.filter((l) => !(l.kind === 'usage' && l.group));
  const toCheck = [...sourceLines(input.lines), ...(input.costCheckLines ?? []), ...late.flatMap((g) => sourceLines(g.lines))].filter(shouldCheck);
  const discrepancies = checkCost(toCheck);

  const unmapped = new CountedList<string>();
  const categories = categorizeAll(input.lines, input.mapping, unmapped);
  const lateCategories = late.map((g) => categorizeAll(g.lines, input.mapping, unmapped));

  const seatLines = input.lines.filter((l) => l.kind === 'license');
  const seatFindings: SeatFinding[] = input.seatSubscriptions?.length ? checkSeats(input.seatSubscriptions, seatLines, input.period) : [];
  let tagCompliance: TagCompliance | null = null;
  if (input.requiredTags) {
    const compliance = startTagCompliance(input.requiredTags);
    for (const line of input.lines) if (line.kind === 'usage') compliance.add(line.id, line.cost, line.tags, lineCountOf(line));
    tagCompliance = usageTagCompliance(compliance.finish(), input.requiredTags);
  }

  const unmappedLines = unmapped.count;
  const unmappedLineIds = unmapped.items;
  const empty = { unmappedLines, unmappedLineIds, discrepancies, priced: [], allocated: [], cost: ZERO, invoice: null, margin: null, tagCompliance, seatFindings };
  if (!card || !fx) return { ...empty, unpriced: [], held: 'no_rate_card' };

  const rated = rateLinesWithCategories(input.lines, categories, card, fx);
  const lateRated = late.map((g, i) => rateLinesWithCategories(g.lines, lateCategories[i] as ChargeCategory[], g.card, g.fx));
  const unpriced = [...rated.unpriced, ...lateRated.flatMap((r) => r.unpriced)];
  if (unpriced.length > 0) return { ...empty, unpriced, held: 'unpriced' };

  const allocateLine = lineAllocator(input.allocationRules, input.unallocatedNodeId);
  const withAllocations = (p: PricedLine): InvoiceSourceLine => ({
    ...p,
    allocations: allocateLine(p.lineId, p.price, p.currency, p.tags, p.resourceGroup, p.subscriptionId, p.meterCategory),
  });
  const pricedLines = rated.priced.map(withAllocations);
  const label = input.lateLabel ?? 'Late usage';
  const adjustments: InvoiceAdjustment[] = late.map((g, i) => ({
    id: `late-${g.originalPeriod}`,
    originalPeriod: g.originalPeriod,
    label,
    lines: (lateRated[i] as { priced: PricedLine[] }).priced.map(withAllocations),
  }));
  const invoice = buildInvoice({ customerId: input.customerId, period: input.period, currency: card.currency, card, pricedLines, adjustments });
  const margin = startMarginReport([card, ...late.map((g) => g.card)], { keepFlags: LINES_NAMED });
  for (const p of rated.priced) margin.add(p);
  const allocated = [...pricedLines, ...adjustments.flatMap((a) => a.lines)];
  return {
    unmappedLines,
    unmappedLineIds,
    discrepancies,
    unpriced: [],
    priced: rated.priced,
    allocated,
    cost: sum(allocated.map((p) => p.cost)),
    invoice,
    margin: margin.finish(),
    held: null,
    tagCompliance,
    seatFindings,
  };
}

/**
 * Tag compliance of this period's usage lines, weighted by Microsoft's cost (`cost`:
 * BillingPreTaxTotal in the line's billing currency). That figure rather than the priced
 * cost or the price: it is known for every line whether or not the card prices it (a
 * held invoice still reports), it is free of the MSP's markup and fx choices (two
 * customers' shares mean the same thing), and it is what Microsoft billed for the
 * resource the tags sit on. Licence lines carry no tags and are left out. Partner Center
 * bills a customer in one billing currency, so the amounts add up as they are. A group's
 * lines share one sign of cost, so |Σ cost| is Σ |cost|.
 * No required tags: nothing to check, so no share (rather than a vacuous 100 %).
 */
function usageTagCompliance(result: TagCompliance, requiredTags: readonly string[]): TagCompliance {
  return requiredTags.length === 0 ? { ...result, compliantAmount: ZERO, share: null } : result;
}
