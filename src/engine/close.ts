/**
 * One customer's month-end close, pure: categorize → checkCost → rateLines → allocate →
 * buildInvoice → marginReport, over plain values a job loaded. The job persists what
 * comes back; nothing here reads or writes anything.
 *
 * - The cost check runs on every Microsoft line before pricing and only reports.
 * - The seat check (checkSeats) compares the hub's own seat events with this period's
 *   licence lines and only reports, like the cost check.
 * - Late lines of earlier, closed periods become one labelled adjustment per period,
 *   priced with the card (and fx) that priced that period when one is given.
 * - No card, or any line no rule prices: no invoice (the close reports why), never a throw.
 * - Margin is reported for this period's charges (adjustments belong to periods already
 *   reported; the minimum top-up is a customer-level charge with no cost).
 */
import { lineAllocator, tagCompliance } from './allocation.ts';
import { categorize } from './categories.ts';
import { checkCost } from './cost-check.ts';
import { ZERO, sum } from './decimal.ts';
import type { Decimal } from './decimal.ts';
import { buildInvoice } from './invoice.ts';
import { marginReport } from './margin.ts';
import { rateLinesWithCategories } from './rating.ts';
import { checkSeats } from './seat-check.ts';
import type {
  AllocatableLine,
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
  /** The customer's licence subscriptions with the hub's own events: checked against this period's licence lines (see checkSeats). */
  seatSubscriptions?: readonly SeatCheckSubscription[];
  /** Tag keys every usage line should carry (see `usageTagCompliance`). Absent: tag compliance is not computed. */
  requiredTags?: readonly string[];
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
  /** Where the hub's seat events and this period's licence lines disagree (empty when no seatSubscriptions were given). Reported, never fixed. */
  seatFindings: SeatFinding[];
  /** Share of this period's usage cost carrying `requiredTags`; null when none were given. Computed for held invoices too. */
  tagCompliance: TagCompliance | null;
}

interface Categorized {
  lines: readonly BillingLine[];
  categories: ChargeCategory[];
}

/**
 * Categories of many lines. `categorize` reads only the fields in the cache key, so lines
 * that agree on them get the same category (looked up once per distinct key).
 */
function categorizeAll(lines: readonly BillingLine[], mapping: CategoryMapping, unmapped: string[]): Categorized {
  const cache = new Map<string, { category: ChargeCategory; mapped: boolean }>();
  const categories: ChargeCategory[] = new Array(lines.length);
  const none = '\u0001';
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] as BillingLine;
    const key = `${line.kind}\u0000${line.productId}\u0000${line.skuId}\u0000${line.productName ?? none}\u0000${line.kind === 'usage' ? (line.meterCategory ?? none) : none}\u0000${line.publisherName ?? none}`;
    let result = cache.get(key);
    if (!result) {
      const r = categorize(line, mapping);
      result = { category: r.category, mapped: r.mapped };
      cache.set(key, result);
    }
    if (!result.mapped) unmapped.push(line.id);
    categories[i] = result.category;
  }
  return { lines, categories };
}

function withAllocations(priced: readonly PricedLine[], rules: readonly AllocationRule[], unallocatedNodeId: string): InvoiceSourceLine[] {
  const allocateLine = lineAllocator(rules, unallocatedNodeId);
  const out: InvoiceSourceLine[] = new Array(priced.length);
  for (let i = 0; i < priced.length; i += 1) {
    const p = priced[i] as PricedLine;
    out[i] = { ...p, allocations: allocateLine(p.lineId, p.price, p.currency, p.tags, p.resourceGroup, p.subscriptionId, p.meterCategory) };
  }
  return out;
}

/**
 * Tag compliance of this period's usage lines, weighted by Microsoft's cost (`cost`:
 * BillingPreTaxTotal in the line's billing currency). That figure rather than the priced
 * cost or the price: it is known for every line whether or not the card prices it (a
 * held invoice still reports), it is free of the MSP's markup and fx choices (two
 * customers' shares mean the same thing), and it is what Microsoft billed for the
 * resource the tags sit on. Licence lines carry no tags and are left out. Partner Center
 * bills a customer in one billing currency, so the amounts add up as they are.
 * No required tags: nothing to check, so no share (rather than a vacuous 100 %).
 */
function usageTagCompliance(lines: readonly BillingLine[], requiredTags: readonly string[]): TagCompliance {
  const usage: AllocatableLine[] = [];
  for (const line of lines) if (line.kind === 'usage') usage.push({ id: line.id, amount: line.cost, currency: line.billingCurrency, tags: line.tags });
  const result = tagCompliance(usage, requiredTags);
  return requiredTags.length === 0 ? { ...result, compliantAmount: ZERO, share: null } : result;
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
  const toCheck: BillingLine[] = [];
  for (const line of input.lines) if (shouldCheck(line)) toCheck.push(line);
  for (const g of input.late) for (const line of g.lines) if (shouldCheck(line)) toCheck.push(line);
  const discrepancies = checkCost(toCheck);
  const unmappedLineIds: string[] = [];
  const categorized = categorizeAll(input.lines, input.mapping, unmappedLineIds);
  const lateCategorized = input.late.map((g) => ({ group: g, lines: categorizeAll(g.lines, input.mapping, unmappedLineIds) }));

  const seatFindings = input.seatSubscriptions?.length ? checkSeats(input.seatSubscriptions, input.lines, input.period) : [];
  const compliance = input.requiredTags ? usageTagCompliance(input.lines, input.requiredTags) : null;
  const empty = { unmappedLineIds, discrepancies, priced: [], allocated: [], cost: ZERO, invoice: null, margin: null, tagCompliance: compliance, seatFindings };
  if (!input.card || !input.fx) return { ...empty, unpriced: [], held: 'no_rate_card' };

  const { priced, unpriced } = rateLinesWithCategories(categorized.lines, categorized.categories, input.card, input.fx);
  const adjustments: { group: LateAdjustmentInput; priced: PricedLine[] }[] = [];
  for (const { group, lines } of lateCategorized) {
    const rated = rateLinesWithCategories(lines.lines, lines.categories, group.card, group.fx);
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
    tagCompliance: compliance,
    seatFindings,
  };
}
