import { CHARGE_CATEGORIES } from '../../engine/categories.ts';
import { Decimal, ROUND_HALF_UP } from '../../engine/decimal.ts';
import type { ChargeCategory } from '../../engine/types.ts';
import type { RuleInput } from '../../db/rate-card-requests.ts';

// CRM quote lines → the hub's quote lines, whichever CRM sold them. Each CRM's mapping
// turns its records into drafts (the same few values under that CRM's field names);
// everything after that is shared. A line's SKU says what it sells:
//   `ProductId:SkuId`        a Partner Center seat SKU (as rate cards and Microsoft name it)
//   `azure:<category>`       Azure consumption in one charge category (azure:compute)
// Only monthly recurring lines map: the rate card prices months.

/** One CRM line's values as sent (strings, or null when unset), before any check. */
export interface LineDraft {
  lineItemId: string;
  name: string | null;
  sku: string | null;
  quantity: string | null;
  /** Price per unit before any discount. */
  price: string | null;
  discountPerUnit: string | null;
  discountPercent: string | null;
  /** What one unit costs the MSP a month: the base the quoted markup is derived from. */
  unitCost: string | null;
  billingFrequency: string | null;
  term: string | null;
  /** The CRM's record as read, kept with the quote line. */
  source: unknown;
}

/** The CRM's own name of each draft field, so a problem names the field a person must fix. */
export interface LineFieldNames {
  sku: string;
  quantity: string;
  price: string;
  /** Null when the CRM has no amount-off field. */
  discountPerUnit: string | null;
  discountPercent: string;
  unitCost: string;
  billingFrequency: string;
}

export interface QuoteLine {
  position: number;
  lineItemId: string;
  kind: 'seat' | 'azure';
  sku: string | null;
  category: ChargeCategory;
  name: string;
  quantity: Decimal;
  unitPrice: Decimal;
  discountPerUnit: Decimal | null;
  discountPercent: Decimal | null;
  /** Price per unit after the discount: what the customer pays per seat (or per Azure unit) a month. */
  netUnitPrice: Decimal;
  unitCost: Decimal | null;
  /** Markup on cost the quote implies, in percent (4 decimals, half up); null without a unit cost. */
  markupPercent: Decimal | null;
  monthlyAmount: Decimal;
  term: string | null;
  billingFrequency: string;
  source: unknown;
}

/** Why a line (or the deal) cannot become billing setup. */
export interface QuoteProblem {
  lineItemId?: string;
  name?: string;
  reason: string;
}

export interface CategoryLookup {
  /** Charge category by SKU, from the hub's charge-category mapping. */
  sku: Readonly<Record<string, ChargeCategory>>;
  /** The category of seat lines no SKU entry claims. */
  licenseLines: ChargeCategory;
}

const SEAT_SKU = /^[^:\s]+:[^:\s]+$/;
const AZURE_SKU = /^azure:(.*)$/i;
const MARKUP_DECIMALS = 4;

function decimalOf(value: string | null | undefined): Decimal | null | 'invalid' {
  if (value === null || value === undefined || value.trim() === '') return null;
  try {
    const d = new Decimal(value.trim());
    return d.isFinite() ? d : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * Maps every line item, or names each one that cannot be mapped and why.
 *
 * @example
 *   mapLineDrafts([{ lineItemId: '7003', sku: 'azure:compute', quantity: '1', price: '1150', unitCost: '1000', billingFrequency: 'monthly', … }], lookup, fields)
 *   // lines[0]: kind azure, category compute, markupPercent 15, monthlyAmount 1150
 */
export function mapLineDrafts(drafts: readonly LineDraft[], lookup: CategoryLookup, f: LineFieldNames): { lines: QuoteLine[]; problems: QuoteProblem[] } {
  const lines: QuoteLine[] = [];
  const problems: QuoteProblem[] = [];
  drafts.forEach((draft, position) => {
    const name = draft.name?.trim() || `line item ${draft.lineItemId}`;
    const fail = (reason: string) => problems.push({ lineItemId: draft.lineItemId, name, reason });
    const sku = draft.sku?.trim() ?? '';
    const azure = AZURE_SKU.exec(sku);
    let kind: 'seat' | 'azure';
    let category: ChargeCategory;
    if (sku === '') return fail(`has no SKU (${f.sku}): name a Partner Center ProductId:SkuId or azure:<charge category>`);
    if (azure) {
      const named = azure[1]!.toLowerCase();
      if (!(CHARGE_CATEGORIES as readonly string[]).includes(named)) return fail(`${f.sku} ${sku} names no charge category (one of ${CHARGE_CATEGORIES.join(', ')})`);
      kind = 'azure';
      category = named as ChargeCategory;
    } else if (SEAT_SKU.test(sku)) {
      kind = 'seat';
      category = lookup.sku[sku] ?? lookup.sku[sku.split(':')[0]!] ?? lookup.licenseLines;
    } else {
      return fail(`${f.sku} ${sku} is neither a Partner Center SKU (ProductId:SkuId) nor azure:<charge category>`);
    }
    const frequency = draft.billingFrequency?.trim().toLowerCase() || null;
    if (frequency !== 'monthly') return fail(`is billed ${frequency ?? `once (no ${f.billingFrequency})`}: only monthly recurring lines map to a monthly price`);

    const quantity = decimalOf(draft.quantity);
    const price = decimalOf(draft.price);
    const discount = decimalOf(draft.discountPerUnit);
    const percent = decimalOf(draft.discountPercent);
    const cost = decimalOf(draft.unitCost);
    if (quantity === null || quantity === 'invalid' || quantity.lte(0)) return fail('quantity must be a number above 0');
    if (kind === 'seat' && !quantity.isInteger()) return fail(`quantity ${quantity} is not a whole number of seats`);
    if (price === null || price === 'invalid' || price.isNegative()) return fail('price must be a number, 0 or more');
    if (discount === 'invalid' || percent === 'invalid' || cost === 'invalid') return fail(`${[f.discountPerUnit, f.discountPercent, f.unitCost].filter((n) => n !== null).join(', ')} must be numbers`);
    if (discount !== null && percent !== null && !discount.isZero() && !percent.isZero()) return fail('has both a discount amount and a discount percentage: give one');
    if (percent !== null && (percent.isNegative() || percent.gt(100))) return fail(`${f.discountPercent} must be from 0 to 100`);
    const net = price.minus(discount ?? 0).times(new Decimal(100).minus(percent ?? 0).div(100));
    if (net.isNegative()) return fail('the discount is larger than the price');
    if (kind === 'azure' && (cost === null || cost.lte(0))) return fail(`an Azure line needs its expected monthly cost (${f.unitCost}, above 0) to derive the markup`);
    const markup = cost !== null && cost.gt(0) ? net.div(cost).minus(1).times(100).toDecimalPlaces(MARKUP_DECIMALS, ROUND_HALF_UP) : null;
    lines.push({
      position,
      lineItemId: draft.lineItemId,
      kind,
      sku: kind === 'seat' ? sku : null,
      category,
      name,
      quantity,
      unitPrice: price,
      discountPerUnit: discount,
      discountPercent: percent,
      netUnitPrice: net,
      unitCost: cost,
      markupPercent: markup,
      monthlyAmount: net.times(quantity),
      term: draft.term?.trim() || null,
      billingFrequency: frequency,
      source: draft.source,
    });
  });
  return { lines, problems };
}

/**
 * The rate card rules a quote implies: each seat SKU at its quoted net price (a fixed
 * unit price), each Azure category at its quoted markup on cost. Two lines that price the
 * same SKU or category differently are a problem, never averaged.
 */
export function quoteRules(lines: readonly QuoteLine[]): { rules: RuleInput[]; problems: QuoteProblem[] } {
  const rules = new Map<string, { rule: RuleInput; line: QuoteLine }>();
  const problems: QuoteProblem[] = [];
  for (const line of lines) {
    const key = line.kind === 'seat' ? `sku:${line.sku!.toLowerCase()}` : `category:${line.category}`;
    const rule: RuleInput =
      line.kind === 'seat' ? { match: { sku: line.sku! }, unitPrice: line.netUnitPrice.toString() } : { match: { category: line.category }, basis: 'cost', markupPercent: line.markupPercent!.toString() };
    const earlier = rules.get(key);
    if (!earlier) rules.set(key, { rule, line });
    else if ((earlier.rule.unitPrice ?? earlier.rule.markupPercent) !== (rule.unitPrice ?? rule.markupPercent)) {
      problems.push({ lineItemId: line.lineItemId, name: line.name, reason: `prices ${key} differently from line ${earlier.line.lineItemId} (${earlier.line.name})` });
    }
  }
  return { rules: [...rules.values()].map((r) => r.rule), problems };
}

/** Seats per SKU the quote sold: the baseline Microsoft's seat counts are compared with. */
export function expectedSeats(lines: readonly QuoteLine[]): Map<string, Decimal> {
  const seats = new Map<string, Decimal>();
  for (const line of lines) if (line.kind === 'seat') seats.set(line.sku!, (seats.get(line.sku!) ?? new Decimal(0)).plus(line.quantity));
  return seats;
}

/** The monthly Azure amount the customer was quoted: the budget alerts are measured against. */
export function azureMonthlyBudget(lines: readonly QuoteLine[]): Decimal {
  return lines.filter((l) => l.kind === 'azure').reduce((sum, l) => sum.plus(l.monthlyAmount), new Decimal(0));
}
