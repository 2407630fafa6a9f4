/**
 * One customer's month-end close, pure: categorize → checkCost → rateLines → allocate →
 * buildInvoice → marginReport, over plain values a job loaded. The job persists what
 * comes back; nothing here reads or writes anything.
 *
 * - Lines can stream in (`startCustomerClose`): each batch goes through every step at
 *   once and only sums, the invoice's groups and what the report lists are kept (plus
 *   each line's id, for the invoice's duplicate check and whatever the caller's lineage
 *   keeps), so a customer's close holds about one batch of lines however many it has. The
 *   result is the one `closeCustomerPeriod` gives for all the lines at once, error
 *   included: a step's error is kept until the end and the earliest step's first error
 *   is thrown, as the step-by-step close over the whole list would have. (One
 *   difference: a late group for a period that is not earlier, or given twice, is
 *   refused up front, not only once it has priced lines.)
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
import { lineAllocator, startTagCompliance } from './allocation.ts';
import { categorize } from './categories.ts';
import { CountedList, LINES_NAMED } from './counted-list.ts';
import { checkCost } from './cost-check.ts';
import { ZERO } from './decimal.ts';
import { DecimalSum } from './decimal-sum.ts';
import type { Decimal } from './decimal.ts';
import { EngineError } from './errors.ts';
import { startInvoice, type InvoiceBuilder } from './invoice.ts';
import { startMarginReport, type MarginAccumulator } from './margin.ts';
import { rateLinesWithCategories } from './rating.ts';
import { checkSeats } from './seat-check.ts';
import type {
  Allocation,
  AllocationRule,
  BillingLine,
  BillingPeriod,
  CategoryMapping,
  ChargeCategory,
  CostDiscrepancy,
  FxPolicy,
  Invoice,
  InvoiceLineSource,
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
  /** How many lines no category mapping claims (they are charged as 'other'). */
  unmappedLines: number;
  /** The first of them, at most LINES_NAMED: a close counts them rather than keep an id per line. */
  unmappedLineIds: string[];
  discrepancies: CostDiscrepancy[];
  unpriced: UnpricedLine[];
  /** This period's priced lines (adjustments excluded); empty when the close streamed without `keepLines`. */
  priced: PricedLine[];
  /** Every priced line with its allocations, adjustments included; empty when the close streamed without `keepLines`. */
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

/**
 * Categories of a batch of lines, through a cache shared by every batch of the close:
 * `categorize` reads only a line's kind, product, SKU, product name, meter category and
 * publisher, so lines that agree on them get the same category (looked up once per
 * distinct set, found by product and meter category, then field by field).
 */
function categorizer(mapping: CategoryMapping): (lines: readonly BillingLine[], unmapped: CountedList<string>) => ChargeCategory[] {
  interface Entry {
    kind: BillingLine['kind'];
    skuId: string;
    productName: string | null;
    publisherName: string | null;
    category: ChargeCategory;
    mapped: boolean;
  }
  const cache = new Map<string, Map<string | null, Entry[]>>();
  return (lines, unmapped) => {
    const categories: ChargeCategory[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i] as BillingLine;
      const meterCategory = line.kind === 'usage' ? line.meterCategory : null;
      let byMeter = cache.get(line.productId);
      if (!byMeter) cache.set(line.productId, (byMeter = new Map()));
      let entries = byMeter.get(meterCategory);
      if (!entries) byMeter.set(meterCategory, (entries = []));
      let found: Entry | undefined;
      for (const e of entries) {
        if (e.kind === line.kind && e.skuId === line.skuId && e.productName === line.productName && e.publisherName === line.publisherName) {
          found = e;
          break;
        }
      }
      if (!found) {
        const r = categorize(line, mapping);
        found = { kind: line.kind, skuId: line.skuId, productName: line.productName, publisherName: line.publisherName, category: r.category, mapped: r.mapped };
        entries.push(found);
      }
      if (!found.mapped) unmapped.add(line.id);
      categories[i] = found.category;
    }
    return categories;
  };
}

/** The header of one late group; its lines come later through `addLate`. */
export type LateGroupSetup = Omit<LateAdjustmentInput, 'lines'>;

export type CustomerCloseSetup = Omit<CustomerCloseInput, 'lines' | 'late'> & { late: readonly LateGroupSetup[] };

export interface CustomerCloseOptions {
  /** Keep the priced and allocated lines and every invoice line's sources in the result, as closeCustomerPeriod does. Default false. */
  keepLines?: boolean;
  /** Each invoice line's sources, as they are added (see InvoiceBuilderOptions.onSource). */
  onSource?: (invoiceLineId: string, source: InvoiceLineSource) => void;
}

/** A customer's close fed in batches: this period's lines first, then each late group's, then `finish` once. */
export interface CustomerClose {
  addLines(lines: readonly BillingLine[]): void;
  /** Lines of `setup.late[index]`; after every addLines, groups in order. */
  addLate(index: number, lines: readonly BillingLine[]): void;
  /** The cost findings so far, in line order (live: grows with each batch). */
  readonly discrepancies: readonly CostDiscrepancy[];
  finish(): CustomerCloseResult;
}

/** The steps in the order the close runs them over all lines; an earlier step's error wins. */
const STEPS = ['cost', 'categorize', 'rating', 'allocation', 'invoice'] as const;
type Step = (typeof STEPS)[number];

/**
 * Start one customer's close over lines that arrive in batches.
 *
 * @example
 *   const close = startCustomerClose({ customerId, period: '2026-10', late: [], mapping, card, fx, allocationRules, unallocatedNodeId });
 *   for await (const batch of batches) close.addLines(batch);
 *   const result = close.finish(); // as closeCustomerPeriod over every batch's lines
 */
export function startCustomerClose(setup: CustomerCloseSetup, options: CustomerCloseOptions = {}): CustomerClose {
  const keepLines = options.keepLines ?? false;
  const shouldCheck = setup.checkCostOf ?? ((line: BillingLine) => !line.id.startsWith('r'));
  const categorizeBatch = categorizer(setup.mapping);
  const periods = new Set<string>();
  for (const g of setup.late) {
    if (g.originalPeriod >= setup.period || periods.has(g.originalPeriod)) {
      throw new EngineError('invalid_input', `Late group ${g.originalPeriod} must be a period before ${setup.period}, given once`, { originalPeriod: g.originalPeriod });
    }
    periods.add(g.originalPeriod);
  }

  const errors = new Map<Step, unknown>();
  const fail = (step: Step, error: unknown): void => {
    if (!errors.has(step)) errors.set(step, error);
  };
  const failedFrom = (step: Step): boolean => {
    for (const s of STEPS.slice(0, STEPS.indexOf(step) + 1)) if (errors.has(s)) return true;
    return false;
  };

  const discrepancies: CostDiscrepancy[] = [];
  const unmapped = new CountedList<string>();
  const unpriced: UnpricedLine[] = [];
  const seatLines: BillingLine[] = [];
  const compliance = setup.requiredTags ? startTagCompliance(setup.requiredTags) : null;
  const card = setup.card;
  const fx = setup.fx;
  const priced: PricedLine[] = [];
  const allocated: InvoiceSourceLine[] = [];
  const cost = new DecimalSum();
  let margin: MarginAccumulator | null = null;
  let invoice: InvoiceBuilder | null = null;
  let allocateLine: ReturnType<typeof lineAllocator> | null = null;
  const label = setup.lateLabel ?? 'Late usage';
  if (card && fx) {
    margin = startMarginReport([card, ...setup.late.map((g) => g.card)], { keepFlags: LINES_NAMED });
    try {
      allocateLine = lineAllocator(setup.allocationRules, setup.unallocatedNodeId);
    } catch (error) {
      fail('allocation', error);
    }
    try {
      invoice = startInvoice(
        {
          customerId: setup.customerId,
          period: setup.period,
          currency: card.currency,
          card,
          adjustments: setup.late.map((g) => ({ id: `late-${g.originalPeriod}`, originalPeriod: g.originalPeriod, label })),
        },
        { keepSources: keepLines, ...(options.onSource ? { onSource: options.onSource } : {}) },
      );
    } catch (error) {
      fail('invoice', error);
    }
  }

  let lateIndex = -1;
  const process = (lines: readonly BillingLine[], late: LateGroupSetup | null): void => {
    const toCheck: BillingLine[] = [];
    for (const line of lines) if (shouldCheck(line)) toCheck.push(line);
    if (!errors.has('cost')) {
      try {
        for (const f of checkCost(toCheck)) discrepancies.push(f);
      } catch (error) {
        fail('cost', error);
      }
    }
    let categories: ChargeCategory[];
    try {
      categories = categorizeBatch(lines, unmapped);
    } catch (error) {
      fail('categorize', error);
      return;
    }
    if (!late) {
      for (const line of lines) {
        if (line.kind === 'license') seatLines.push(line);
        else if (compliance) compliance.add(line.id, line.cost, line.tags);
      }
    }
    if (!card || !fx || failedFrom('rating')) return;

    let rated: { priced: PricedLine[]; unpriced: UnpricedLine[] };
    try {
      rated = late ? rateLinesWithCategories(lines, categories, late.card, late.fx) : rateLinesWithCategories(lines, categories, card, fx);
    } catch (error) {
      fail('rating', error);
      return;
    }
    for (const u of rated.unpriced) unpriced.push(u);
    // An unpriced line holds the invoice: nothing after rating matters any more. An
    // allocation error outranks the invoice's, so lines are still allocated after one.
    if (unpriced.length > 0 || errors.has('allocation') || !allocateLine) return;

    const adjustmentId = late ? `late-${late.originalPeriod}` : null;
    for (const p of rated.priced) {
      let allocations: Allocation[];
      try {
        allocations = allocateLine(p.lineId, p.price, p.currency, p.tags, p.resourceGroup, p.subscriptionId, p.meterCategory);
      } catch (error) {
        fail('allocation', error);
        return;
      }
      if (errors.has('invoice') || !invoice || !margin) continue;
      try {
        invoice.addPriced(p, allocations, adjustmentId);
      } catch (error) {
        fail('invoice', error);
        continue;
      }
      cost.add(p.cost);
      if (!late) margin.add(p);
      if (keepLines) {
        if (!late) priced.push(p);
        allocated.push({ ...p, allocations });
      }
    }
  };

  let finished = false;
  const open = (): void => {
    if (finished) throw new Error('customer close already finished');
  };
  return {
    discrepancies,
    addLines(lines) {
      open();
      if (lateIndex >= 0) throw new Error("this period's lines must all come before the late groups'");
      process(lines, null);
    },
    addLate(index, lines) {
      open();
      const group = setup.late[index];
      if (!group || index < lateIndex) throw new Error(`late group ${index} is not next (groups come in order)`);
      lateIndex = index;
      process(lines, group);
    },
    finish() {
      open();
      finished = true;
      for (const step of ['cost', 'categorize'] as const) if (errors.has(step)) throw errors.get(step);
      const seatFindings: SeatFinding[] = setup.seatSubscriptions?.length ? checkSeats(setup.seatSubscriptions, seatLines, setup.period) : [];
      const tags = compliance ? usageTagCompliance(compliance.finish(), setup.requiredTags ?? []) : null;
      const unmappedLines = unmapped.count;
      const unmappedLineIds = unmapped.items;
      const empty = { unmappedLines, unmappedLineIds, discrepancies, priced: [], allocated: [], cost: ZERO, invoice: null, margin: null, tagCompliance: tags, seatFindings };
      if (!card || !fx) return { ...empty, unpriced: [], held: 'no_rate_card' };
      if (errors.has('rating')) throw errors.get('rating');
      if (unpriced.length > 0) return { ...empty, unpriced, held: 'unpriced' };
      for (const step of ['allocation', 'invoice'] as const) if (errors.has(step)) throw errors.get(step);
      const built = (invoice as InvoiceBuilder).finish();
      return {
        unmappedLines,
        unmappedLineIds,
        discrepancies,
        unpriced: [],
        priced,
        allocated,
        cost: cost.value(),
        invoice: built,
        margin: (margin as MarginAccumulator).finish(),
        held: null,
        tagCompliance: tags,
        seatFindings,
      };
    },
  };
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
function usageTagCompliance(result: TagCompliance, requiredTags: readonly string[]): TagCompliance {
  return requiredTags.length === 0 ? { ...result, compliantAmount: ZERO, share: null } : result;
}

/**
 * Close one customer's period, all its lines at once (the priced and allocated lines and
 * the invoice lines' sources are kept in the result).
 *
 * @example
 *   const result = closeCustomerPeriod({ customerId, period: '2026-10', lines, late: [], mapping, card, fx,
 *                                        allocationRules, unallocatedNodeId });
 *   result.invoice?.total // exactly Σ result.invoice.lines[].amount
 */
export function closeCustomerPeriod(input: CustomerCloseInput): CustomerCloseResult {
  const { lines, late, ...rest } = input;
  const close = startCustomerClose({ ...rest, late: late.map(({ lines: _lines, ...header }) => header) }, { keepLines: true });
  close.addLines(lines);
  late.forEach((group, index) => close.addLate(index, group.lines));
  return close.finish();
}
