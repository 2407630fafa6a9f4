/**
 * Shared types of the billing engine, in one place.
 *
 * Everything here is a plain, serialisable value: money, rates, quantities and
 * percentages are `Decimal` (serialised as strings by `toJSON`), dates are
 * 'YYYY-MM-DD' strings, billing periods 'YYYY-MM'. Every input carries the id of the
 * row it came from and every output carries the ids of the inputs, rules and rates
 * that produced it, so a job can persist the lineage next to the figures.
 */
import type { Decimal } from './decimal.ts';

/** ISO 4217 alphabetic code, e.g. 'USD'. */
export type CurrencyCode = string;
/** Calendar date 'YYYY-MM-DD' (billing time zone). */
export type IsoDate = string;
/** Calendar-month billing period 'YYYY-MM'. */
export type BillingPeriod = string;

export type RoundingMode = 'half_up' | 'half_even';
export type RoundingScope = 'line' | 'invoice';

// ─── Charge categories ──────────────────────────────────────────────────────────

export type ChargeCategory =
  | 'compute'
  | 'storage'
  | 'networking'
  | 'databases'
  | 'licenses'
  | 'marketplace'
  | 'support'
  | 'other';

/**
 * Which Partner Center attributes decide a line's category. Lookups are
 * case-insensitive. Precedence: sku > product > meterCategory > defaults.
 */
export interface CategoryMapping {
  id: string;
  version: number;
  /** Keyed by 'ProductId:SkuId' (a SkuId such as '0001' alone is not unique). */
  sku: Readonly<Record<string, ChargeCategory>>;
  /** Keyed by ProductId or by ProductName (ProductId is tried first). */
  product: Readonly<Record<string, ChargeCategory>>;
  /** Keyed by Partner Center MeterCategory ('Virtual Machines', 'Storage', ...). */
  meterCategory: Readonly<Record<string, ChargeCategory>>;
  defaults: {
    /** Category of a line whose publisher is not Microsoft (null = no default). */
    thirdPartyPublisher: ChargeCategory | null;
    /** Category of a licence (seat) line no explicit entry claimed (null = no default). */
    licenseLines: ChargeCategory | null;
    /** Publisher names that count as Microsoft; a blank publisher also counts as Microsoft. */
    microsoftPublishers: readonly string[];
  };
}

export type CategoryMatchedBy = 'sku' | 'product' | 'meterCategory' | 'publisher' | 'lineKind';

export interface CategoryResult {
  category: ChargeCategory;
  /** false when nothing claimed the line and it fell to 'other': the close counts these. */
  mapped: boolean;
  matchedBy: CategoryMatchedBy | null;
  /** The mapping key that matched (e.g. 'virtual machines'), null when unmapped. */
  matchedKey: string | null;
  mappingId: string;
  mappingVersion: number;
}

// ─── Partner Center source lines (canonical form the engine reads) ────────────

interface BillingLineBase {
  /** Hub id of the source row (usage_lines / license_lines): the lineage anchor. */
  id: string;
  customerId: string;
  /** Usage: EntitlementId (the Azure subscription). Licence: SubscriptionId. */
  subscriptionId: string;
  productId: string;
  skuId: string;
  productName: string | null;
  skuName: string | null;
  publisherName: string | null;
  /** UsageDate (usage) or ChargeStartDate (licence): the date market fx is looked up on. */
  date: IsoDate;
  /** Quantity (usage) or BillableQuantity (licence). */
  quantity: Decimal;
  /** UnitPrice: the price-list price per unit, in pricingCurrency. */
  unitPrice: Decimal;
  /** EffectiveUnitPrice: charged per unit after discounts, credits and proration, in pricingCurrency. */
  effectiveUnitPrice: Decimal;
  pricingCurrency: CurrencyCode;
  billingCurrency: CurrencyCode;
  pcToBCExchangeRate: Decimal;
  pcToBCExchangeRateDate: IsoDate;
  /**
   * Microsoft's billed figure in billingCurrency, exactly as reported:
   * BillingPreTaxTotal (usage) or Subtotal (licence). Negative for credits.
   */
  cost: Decimal;
  tags: Readonly<Record<string, string>>;
}

/** One Azure plan daily rated usage line. */
export interface UsageLine extends BillingLineBase {
  kind: 'usage';
  /**
   * Present when the line stands for a group of source lines the database summed
   * (quantity and cost are the group's sums, id is its first line's, date its earliest
   * line's): lines that agree on everything pricing, fx, allocation and the invoice line
   * read, and on the sign of their cost and quantity. `key` finds the group's lines again
   * in the database (lineage); `lineCount` is how many it sums.
   */
  group?: { key: string; lineCount: number };
  resourceGroup: string | null;
  meterId: string | null;
  meterCategory: string | null;
  meterName: string | null;
}

/** One new-commerce licence reconciliation line. */
export interface LicenseLine extends BillingLineBase {
  kind: 'license';
  /** Which documented Subtotal formula applies: seat-based or usage-based licence. */
  pricingModel: 'seat' | 'usage';
  chargeType: string;
  /**
   * The part of a charge cycle this line bills (ChargeStartDate..ChargeEndDate over the
   * cycle's days); a full cycle is days === daysInCycle. Fixed per-seat prices and the
   * list basis are prorated by it.
   */
  chargeDays: { days: number; daysInCycle: number };
  resourceGroup?: null;
  meterId?: null;
  meterCategory?: null;
  meterName?: null;
}

export type BillingLine = UsageLine | LicenseLine;

/** A source line after categorisation, ready to price. */
export type CategorizedLine = BillingLine & { category: ChargeCategory };

// ─── Cost check ─────────────────────────────────────────────────────────────────

export type CostField = 'BillingPreTaxTotal' | 'Subtotal';

export interface CostDiscrepancy {
  lineId: string;
  field: CostField;
  /** The formula that produced `recomputed`, spelled as Microsoft documents it. */
  formula: string;
  microsoft: Decimal;
  recomputed: Decimal;
  /** microsoft − recomputed. */
  difference: Decimal;
}

// ─── Currency conversion ─────────────────────────────────────────────────────

export type FxSource = 'microsoft' | 'market' | 'fixed';

export interface MarketRate {
  id?: string;
  from: CurrencyCode;
  to: CurrencyCode;
  /** The date the rate is valid from. */
  date: IsoDate;
  /** Units of `to` per one unit of `from`. */
  rate: Decimal;
}

export type FxPolicy =
  | { source: 'microsoft' }
  | { source: 'market'; table: readonly MarketRate[] }
  | { source: 'fixed'; id?: string; from: CurrencyCode; to: CurrencyCode; rate: Decimal; date: IsoDate };

/** The pricing→billing rate Microsoft printed on a line. */
export interface MicrosoftRate {
  pricingCurrency: CurrencyCode;
  billingCurrency: CurrencyCode;
  pcToBCExchangeRate: Decimal;
  pcToBCExchangeRateDate: IsoDate;
}

export interface ConversionRequest {
  amount: Decimal;
  from: CurrencyCode;
  to: CurrencyCode;
  /** The date the amount belongs to (market rates: latest on or before it). */
  date: IsoDate;
  /** The line's own Microsoft rate; required by the 'microsoft' policy. */
  microsoft?: MicrosoftRate;
}

/** The rate that was applied, for lineage. `identity` = same currency, rate 1. */
export interface FxUsed {
  from: CurrencyCode;
  to: CurrencyCode;
  rate: Decimal;
  source: FxSource | 'identity';
  rateDate: IsoDate;
  rateId: string | null;
}

export interface Converted {
  /** Full precision: conversion never rounds; the rate card rounds once. */
  amount: Decimal;
  fx: FxUsed;
}

// ─── Rate cards and rating ───────────────────────────────────────────────────

export type RateRuleMatch =
  | { sku: string }
  | { meterId: string }
  | { category: ChargeCategory }
  | { default: true };

export interface MarkupRule {
  id: string;
  match: RateRuleMatch;
  /** 'cost' = Microsoft's billed cost; 'list' = UnitPrice × quantity (price-list amount). */
  basis: 'cost' | 'list';
  /** +20 = cost × 1.20; negative = discount; never below −100. */
  markupPercent: Decimal;
  unitPrice?: undefined;
}

export interface FixedPriceRule {
  id: string;
  match: RateRuleMatch;
  /** Price per unit of quantity in the card's currency (licences: per seat per full cycle). */
  unitPrice: Decimal;
  basis?: undefined;
  markupPercent?: undefined;
}

export type RateRule = MarkupRule | FixedPriceRule;

export interface RateCard {
  id: string;
  version: number;
  currency: CurrencyCode;
  rounding: { scope: RoundingScope; mode: RoundingMode };
  /** The fx source this card prices with; the close supplies the matching FxPolicy. */
  fx: { source: FxSource };
  /** Minimum charge per month in the card's currency (whole minor units). */
  minimumMonthly?: Decimal | null;
  /** Target gross margin % (margin ÷ price × 100). */
  targetMarginPercent?: Decimal | null;
  rules: readonly RateRule[];
}

export type RuleMatchedBy = 'meterId' | 'sku' | 'category' | 'default';

export interface PricedLine {
  status: 'priced';
  /** The source line's id (usage_lines / license_lines). */
  lineId: string;
  kind: 'usage' | 'license';
  customerId: string;
  subscriptionId: string;
  resourceGroup: string | null;
  meterId: string | null;
  meterCategory: string | null;
  /** 'ProductId:SkuId'. */
  sku: string;
  description: string;
  category: ChargeCategory;
  tags: Readonly<Record<string, string>>;
  date: IsoDate;
  quantity: Decimal;
  /** The card's currency: price and cost are both in it. */
  currency: CurrencyCode;
  cardId: string;
  cardVersion: number;
  ruleId: string;
  matchedBy: RuleMatchedBy;
  basis: 'cost' | 'list' | 'fixed';
  markupPercent: Decimal | null;
  unitPrice: Decimal | null;
  /** The amount the markup was applied to, in the card's currency (null for a fixed price). */
  basisAmount: Decimal | null;
  /** Full precision: the invoice rounds (see roundMoney), never a source line. */
  price: Decimal;
  /** Microsoft's billed cost converted to the card's currency, full precision. */
  cost: Decimal;
  /** Conversion of the price basis (null for a fixed price, which is already in the card's currency). */
  fx: FxUsed | null;
  /** Conversion of the cost. */
  costFx: FxUsed;
  /** How the invoice will round (this line's price is never rounded). */
  rounding: { scope: RoundingScope; mode: RoundingMode; places: number };
  /** How many source lines it prices (a group's count, else 1). */
  lineCount: number;
  /** The group's key when it prices a group of source lines (UsageLine.group), else null. */
  groupKey: string | null;
}

export interface UnpricedLine {
  status: 'unpriced';
  lineId: string;
  customerId: string;
  category: ChargeCategory;
  sku: string;
  meterId: string | null;
  cardId: string;
  cardVersion: number;
  reason: string;
}

export type RatingResult = PricedLine | UnpricedLine;

// ─── Seat proration ──────────────────────────────────────────────────────────

export type TermDuration = 'P1M' | 'P1Y' | 'P3Y';
/** Charge cycle: 'monthly' = per calendar month, prorated by day; 'annual'/'triennial' = charged up front per cycle. */
export type BillingFrequency = 'monthly' | 'annual' | 'triennial';

export type SubscriptionEvent =
  | { type: 'purchase'; date: IsoDate; quantity: number; sku: string; unitPrice: Decimal }
  | { type: 'add'; date: IsoDate; delta: number }
  | { type: 'remove'; date: IsoDate; delta: number }
  | { type: 'suspend'; date: IsoDate }
  | { type: 'reactivate'; date: IsoDate }
  | { type: 'cancel'; date: IsoDate }
  | { type: 'upgrade'; date: IsoDate; newSku: string; unitPrice: Decimal }
  | { type: 'renew'; date: IsoDate; quantity?: number; unitPrice?: Decimal };

export type SubscriptionEventType = SubscriptionEvent['type'];

export interface SeatSubscription {
  id: string;
  term: TermDuration;
  billingFrequency: BillingFrequency;
  /** Renew at term end when no explicit renew/cancel says otherwise. Default true. */
  autoRenew?: boolean;
  /** Effective-dated events; the first is the purchase. Same-day events apply in the order given. */
  events: readonly SubscriptionEvent[];
}

export type SegmentReason = SubscriptionEventType | 'cycle';

export interface ProrationSegment {
  subscriptionId: string;
  sku: string;
  /** First day billed (or credited). */
  from: IsoDate;
  /** Last day billed (or credited), inclusive. */
  to: IsoDate;
  days: number;
  /** Monthly: days in the calendar month. Up front: days in the charge cycle (365/366, ~1096). */
  daysInCycle: number;
  /** Seats; negative on a credit (refund of remaining days). */
  quantity: number;
  /** Per seat per charge cycle. */
  unitPrice: Decimal;
  /** quantity × unitPrice × days ÷ daysInCycle, full precision. */
  amount: Decimal;
  reason: SegmentReason;
  /** The day the charge or credit arises (up-front cycles: the event day; monthly: = from). */
  chargedOn: IsoDate;
}

export interface ProrationResult {
  subscriptionId: string;
  period: BillingPeriod;
  segments: ProrationSegment[];
  /** Sum of segment amounts, full precision. */
  total: Decimal;
  /** Facts the invoice or the close should show, e.g. a cancel deferred to term end. */
  notes: string[];
}

// ─── Seat check ──────────────────────────────────────────────────────────────

/** A hub licence subscription as the seat check reads it: its events, and how its licence lines are found. */
export interface SeatCheckSubscription extends SeatSubscription {
  /** Partner Center's SubscriptionId (the licence lines' subscriptionId); null: not linked, no line can match. */
  partnerCenterId: string | null;
  /**
   * false: no licence line gave a per-seat price, so the events carry a price of 0 and
   * only seat-days are compared (amounts are left null).
   */
  priceKnown: boolean;
}

/** seat_days: the seat-days differ; amount: same seat-days, different amounts; invalid_events: the events cannot be prorated. */
export type SeatFindingKind = 'seat_days' | 'amount' | 'invalid_events';

export interface SeatFinding {
  /** The hub's subscription id. */
  subscriptionId: string;
  partnerCenterId: string | null;
  kind: SeatFindingKind;
  /** Σ seats × days the hub's events imply for the period (credits negative); null when the events are invalid. */
  expectedSeatDays: Decimal | null;
  /** Σ BillableQuantity × charge days of Microsoft's seat lines (monthly cycles scaled to the period's days; refunds negative). */
  billedSeatDays: Decimal;
  /** prorateByDay's total in the billing currency, full precision; null when the price or the events are unknown. */
  expectedAmount: Decimal | null;
  /** Σ Microsoft's Subtotal of the lines, in the billing currency. */
  billedAmount: Decimal;
  /** The lines' billing currency; null when Microsoft billed no line. */
  currency: CurrencyCode | null;
  /** The licence lines compared. */
  lineIds: string[];
  message: string;
}

// ─── Allocation ──────────────────────────────────────────────────────────────

export type AllocationMatch =
  | { tag: { key: string; value?: string } }
  | { resourceGroup: string }
  | { subscriptionId: string }
  | { meterCategory: string };

export interface AllocationSplit {
  costNodeId: string;
  /** Percent of the line; a rule's splits sum to exactly 100. */
  percent: Decimal;
}

export interface AllocationRule {
  id: string;
  version: number;
  /** Lower number is tried first; ties by id. */
  priority: number;
  match: AllocationMatch;
  splits: readonly AllocationSplit[];
}

export interface AllocatableLine {
  id: string;
  amount: Decimal;
  currency: CurrencyCode;
  tags?: Readonly<Record<string, string>>;
  resourceGroup?: string | null;
  subscriptionId?: string | null;
  meterCategory?: string | null;
}

export interface Allocation {
  lineId: string;
  costNodeId: string;
  /** null = no rule claimed the line: it went to the unallocated node. */
  ruleId: string | null;
  ruleVersion: number | null;
  percent: Decimal;
  amount: Decimal;
}

export interface CostNode {
  id: string;
  parentId: string | null;
  name?: string;
}

export interface CostNodeTotal {
  costNodeId: string;
  parentId: string | null;
  /** Allocated straight to this node. */
  direct: Decimal;
  /** direct + every descendant's direct. */
  total: Decimal;
}

export interface TagCompliance {
  requiredTags: string[];
  /** Σ |amount| of all lines. */
  totalAmount: Decimal;
  /** Σ |amount| of lines carrying every required tag with a non-blank value. */
  compliantAmount: Decimal;
  /** compliantAmount ÷ totalAmount (0..1), null when there is no cost at all. */
  share: Decimal | null;
  /** How many lines miss a required tag. */
  nonCompliantLines: number;
  /** The first of them (at most LINES_NAMED, in line order): examples to look at, not a list a close keeps per line. */
  nonCompliantLineIds: string[];
}

// ─── Invoice ─────────────────────────────────────────────────────────────────

/** A priced line with its cost-node allocations (which sum exactly to its price). */
export type InvoiceSourceLine = PricedLine & { allocations: readonly Allocation[] };

export interface InvoiceAdjustment {
  id: string;
  /** The earlier, already closed period the late lines belong to. */
  originalPeriod: BillingPeriod;
  label: string;
  lines: readonly InvoiceSourceLine[];
}

export interface InvoiceInput {
  customerId: string;
  period: BillingPeriod;
  currency: CurrencyCode;
  card: RateCard;
  pricedLines: readonly InvoiceSourceLine[];
  adjustments?: readonly InvoiceAdjustment[];
}

/** labour: one engagement's PSA labour (see src/engine/labour-invoice.ts). */
export type InvoiceLineKind = 'charge' | 'adjustment' | 'minimum' | 'rounding' | 'labour';

export interface InvoiceLineSource {
  lineId: string;
  /** How many source lines it stands for, and the group's key when it is a group (see PricedLine). */
  lineCount: number;
  groupKey: string | null;
  ruleId: string;
  cardId: string;
  cardVersion: number;
  /** entry_rate: a labour entry priced by its own rate, not by the card. */
  basis: PricedLine['basis'] | 'entry_rate';
  quantity: Decimal;
  price: Decimal;
  cost: Decimal;
  fx: FxUsed | null;
  costFx: FxUsed;
  allocations: readonly Allocation[];
}

export interface InvoiceLine {
  /** Deterministic key of the group the line stands for. */
  id: string;
  kind: InvoiceLineKind;
  description: string;
  category: ChargeCategory | null;
  subscriptionId: string | null;
  resourceGroup: string | null;
  meterId: string | null;
  sku: string | null;
  adjustment: { id: string; originalPeriod: BillingPeriod; label: string } | null;
  quantity: Decimal | null;
  /** Exact sum of the sources' prices. */
  exactAmount: Decimal;
  /** The displayed amount, whole minor units. */
  amount: Decimal;
  ruleId: string | null;
  cardId: string;
  cardVersion: number;
  rounding: { scope: RoundingScope; mode: RoundingMode; places: number };
  sources: InvoiceLineSource[];
}

export interface InvoiceSummaryLine {
  kind: InvoiceLineKind;
  category: ChargeCategory | null;
  adjustmentId: string | null;
  description: string;
  amount: Decimal;
  /** Ids of the detailed lines this summary line adds up. */
  lineIds: string[];
}

export interface Invoice {
  customerId: string;
  period: BillingPeriod;
  currency: CurrencyCode;
  cardId: string;
  cardVersion: number;
  rounding: { scope: RoundingScope; mode: RoundingMode; places: number };
  /** Detailed view: per subscription / resource group / meter (or SKU), then adjustments, minimum, rounding. */
  lines: InvoiceLine[];
  /** Summary view of the same lines: per category, per adjustment, minimum, rounding. */
  summary: InvoiceSummaryLine[];
  /** Current-period charges per category (= the summary's category lines). */
  subtotalsByCategory: Partial<Record<ChargeCategory, Decimal>>;
  /** Charges and adjustments per cost node, whole minor units, summing to total − minimum charge. */
  subtotalsByCostNode: Array<{ costNodeId: string; amount: Decimal }>;
  /** Top-up to the card's minimum monthly charge (0 when not needed). */
  minimumCharge: Decimal;
  /** Rounding difference shown as a line (always 0 when the card rounds per line). */
  roundingAdjustment: Decimal;
  /** Exactly the sum of `lines[].amount`. */
  total: Decimal;
}

// ─── Margin ──────────────────────────────────────────────────────────────────

export interface MarginRow {
  customerId: string;
  /** null on a customer's all-categories row. */
  category: ChargeCategory | null;
  cost: Decimal;
  price: Decimal;
  margin: Decimal;
  /** margin ÷ price × 100; null when price is 0. */
  marginPercent: Decimal | null;
  /** The card's target; null when the lines' cards have none or disagree. */
  targetMarginPercent: Decimal | null;
  /** marginPercent − target, in percentage points. */
  deviationPoints: Decimal | null;
}

export interface MarginFlag {
  lineId: string;
  customerId: string;
  category: ChargeCategory;
  ruleId: string;
  cost: Decimal;
  price: Decimal;
  marginPercent: Decimal | null;
  targetMarginPercent: Decimal;
  deviationPoints: Decimal | null;
  reason: 'off_target' | 'no_price';
}

export interface MarginReport {
  byCustomerCategory: MarginRow[];
  byCustomer: MarginRow[];
  /** Off-target lines, by customer then in line order: all of them, or the first `keepFlags` (see startMarginReport). */
  flags: MarginFlag[];
  /** How many source lines are off target, listed or not (a flagged group counts its lines). */
  flagCount: number;
}
