/**
 * Rating: price a categorised Partner Center line with the customer's rate card.
 *
 * Rule precedence, most specific first: a meter override (usage lines), a SKU
 * override ('ProductId:SkuId'), the line's charge category, the card's default. A
 * line no rule prices is returned as an explicit `unpriced` result (never dropped,
 * never priced at zero) so the close can list it and hold the invoice.
 *
 * Bases:
 * - cost: Microsoft's billed cost (BillingPreTaxTotal / Subtotal, as reported, not
 *   recomputed) converted to the card's currency, then marked up;
 * - list: UnitPrice × quantity (× the licence line's share of its charge cycle), in the
 *   pricing currency, converted, then marked up. PricingPreTaxTotal is not used: in
 *   Microsoft's samples it already carries partner-earned credit, so it is not a list amount;
 * - fixed: the rule's unitPrice × quantity (× the licence line's share of its cycle),
 *   already in the card's currency.
 * A credit line (negative Microsoft cost) is priced as a credit on every basis.
 *
 * Rounding: never here. A price keeps full precision, so pricing is linear in cost and
 * quantity (a group of lines prices as the sum of its lines); the invoice rounds, as the
 * card's rounding scope says (see `roundMoney`).
 */
import { Decimal, HUNDRED, ONE } from './decimal.ts';
import { toDayNumber } from './dates.ts';
import { EngineError } from './errors.ts';
import { convertCurrency } from './fx.ts';
import { minorUnits, isWholeMinorUnits } from './money.ts';
import { CHARGE_CATEGORIES } from './categories.ts';
import type {
  BillingLine,
  CategorizedLine,
  ChargeCategory,
  FxPolicy,
  FxUsed,
  PricedLine,
  RateCard,
  RateRule,
  RatingResult,
  RuleMatchedBy,
  UnpricedLine,
} from './types.ts';

/**
 * amount × (100 + markupPercent) ÷ 100. A negative markup is a discount.
 * @example applyMarkup(new Decimal('100.00'), new Decimal('15')) // 115
 */
export function applyMarkup(amount: Decimal, markupPercent: Decimal): Decimal {
  return amount.times(HUNDRED.plus(markupPercent)).div(HUNDRED);
}

/** A rule and how it matched a line. */
interface Found {
  rule: RateRule;
  matchedBy: RuleMatchedBy;
}

// What a card prices a line with is shared by every line it prices (rule and match, the
// rounding it records, the identity fx of each day), so it is made once per card, not
// once per line: a close prices millions of lines, and every result is read-only.
interface CompiledCard {
  byMeterId: Map<string, Found>;
  bySku: Map<string, Found>;
  byCategory: Map<ChargeCategory, Found>;
  fallback: Found | null;
  /** Per markup rule: (100 + markupPercent) ÷ 100, made once (amount × it = applyMarkup(amount, markup), digit for digit). */
  factors: Map<RateRule, Decimal>;
  /** The rounding the invoice will apply, which every priced line records. */
  rounding: PricedLine['rounding'];
  /** A line already in the card's currency: its identity conversion, per usage date. */
  identityFx: Map<string, FxUsed>;
}

/** Dates a card keeps an identity fx for before starting over (a close's period and late months use far fewer). */
const MAX_IDENTITY_DATES = 1_000;

function identityFx(c: CompiledCard, currency: string, date: string): FxUsed {
  let fx = c.identityFx.get(date);
  if (fx === undefined) {
    if (c.identityFx.size >= MAX_IDENTITY_DATES) c.identityFx.clear();
    fx = { from: currency, to: currency, rate: ONE, source: 'identity', rateDate: date, rateId: null };
    c.identityFx.set(date, fx);
  }
  return fx;
}

const compiledCards = new WeakMap<RateCard, CompiledCard>();

function invalid(card: RateCard, message: string, details: Record<string, unknown> = {}): EngineError {
  return new EngineError('invalid_rate_card', `Rate card ${card.id} v${card.version}: ${message}`, { cardId: card.id, cardVersion: card.version, ...details });
}

/**
 * Check a rate card is usable and index its rules (cached per card object: a card,
 * like every approved version, is treated as immutable once used).
 * Throws EngineError('invalid_rate_card') naming the card, version and rule.
 */
export function validateRateCard(card: RateCard): void {
  compileCard(card);
}

function compileCard(card: RateCard): CompiledCard {
  const cached = compiledCards.get(card);
  if (cached) return cached;

  const places = minorUnits(card.currency);
  const { scope, mode } = card.rounding;
  if (scope !== 'line' && scope !== 'invoice') throw invalid(card, `rounding scope must be 'line' or 'invoice', got "${String(scope)}"`);
  if (mode !== 'half_up' && mode !== 'half_even') throw invalid(card, `rounding mode must be 'half_up' or 'half_even', got "${String(mode)}"`);
  if (!['microsoft', 'market', 'fixed'].includes(card.fx.source)) throw invalid(card, `unknown fx source "${String(card.fx.source)}"`);
  if (card.minimumMonthly != null && (card.minimumMonthly.isNegative() || !isWholeMinorUnits(card.minimumMonthly, card.currency))) {
    throw invalid(card, `minimumMonthly ${card.minimumMonthly.toString()} must be ≥ 0 and in whole ${card.currency} minor units`);
  }

  const compiled: CompiledCard = {
    byMeterId: new Map(),
    bySku: new Map(),
    byCategory: new Map(),
    fallback: null,
    factors: new Map(),
    rounding: { scope, mode, places },
    identityFx: new Map(),
  };
  const ids = new Set<string>();
  for (const rule of card.rules) {
    if (ids.has(rule.id)) throw invalid(card, `rule id "${rule.id}" is used twice`, { ruleId: rule.id });
    ids.add(rule.id);
    validateRulePricing(card, rule);
    // S = 100 + m rounded as applyMarkup rounds it; S ÷ 100 is exact, and amount × (S ÷ 100) rounds the
    // same significant digits as amount × S, so it equals amount × S ÷ 100 exactly.
    if (rule.markupPercent != null) compiled.factors.set(rule, HUNDRED.plus(rule.markupPercent).div(HUNDRED));
    const m = rule.match;
    const claim = <K>(map: Map<K, Found>, k: K, label: string, matchedBy: RuleMatchedBy): void => {
      const other = map.get(k);
      if (other) throw invalid(card, `rules "${other.rule.id}" and "${rule.id}" both match ${label}`, { ruleId: rule.id });
      map.set(k, { rule, matchedBy });
    };
    if ('meterId' in m) claim(compiled.byMeterId, m.meterId.toLowerCase(), `meter ${m.meterId}`, 'meterId');
    else if ('sku' in m) claim(compiled.bySku, m.sku.toLowerCase(), `SKU ${m.sku}`, 'sku');
    else if ('category' in m) {
      if (!CHARGE_CATEGORIES.includes(m.category)) throw invalid(card, `rule "${rule.id}" matches unknown category "${m.category}"`, { ruleId: rule.id });
      claim(compiled.byCategory, m.category, `category ${m.category}`, 'category');
    } else if ('default' in m && m.default === true) {
      if (compiled.fallback) throw invalid(card, `rules "${compiled.fallback.rule.id}" and "${rule.id}" are both the default`, { ruleId: rule.id });
      compiled.fallback = { rule, matchedBy: 'default' };
    } else {
      throw invalid(card, `rule "${rule.id}" has no sku, meterId, category or default match`, { ruleId: rule.id });
    }
  }
  compiledCards.set(card, compiled);
  return compiled;
}

function validateRulePricing(card: RateCard, rule: RateRule): void {
  const hasMarkup = rule.markupPercent != null;
  const hasUnitPrice = rule.unitPrice != null;
  if (hasMarkup === hasUnitPrice) {
    throw invalid(card, `rule "${rule.id}" needs exactly one of markupPercent or unitPrice`, { ruleId: rule.id });
  }
  if (rule.markupPercent != null) {
    if (rule.basis !== 'cost' && rule.basis !== 'list') {
      throw invalid(card, `rule "${rule.id}" needs basis 'cost' or 'list'`, { ruleId: rule.id });
    }
    if (rule.markupPercent.lessThan(-100)) {
      throw invalid(card, `rule "${rule.id}" markup ${rule.markupPercent.toString()}% would price below zero`, { ruleId: rule.id });
    }
  }
  if (rule.unitPrice != null && rule.unitPrice.isNegative()) {
    throw invalid(card, `rule "${rule.id}" unit price ${rule.unitPrice.toString()} is negative`, { ruleId: rule.id });
  }
}

function skuOf(line: BillingLine): string {
  return `${line.productId}:${line.skuId}`;
}

// A month repeats a few products over millions of lines: each SKU is spelled, and folded
// for matching, once (bounded, in case a portfolio has very many).
const MAX_SKU_PRODUCTS = 10_000;
const skuKeys = new Map<string | null, Map<string | null, { sku: string; folded: string }>>();
function skuKeyOf(line: BillingLine): { sku: string; folded: string } {
  let bySkuId = skuKeys.get(line.productId);
  if (bySkuId === undefined) {
    if (skuKeys.size >= MAX_SKU_PRODUCTS) skuKeys.clear();
    skuKeys.set(line.productId, (bySkuId = new Map()));
  }
  let key = bySkuId.get(line.skuId);
  if (key === undefined) {
    const sku = skuOf(line);
    bySkuId.set(line.skuId, (key = { sku, folded: sku.toLowerCase() }));
  }
  return key;
}

/** The rule that prices the line and how it matched, or null when none does. */
export function findRule(line: CategorizedLine, card: RateCard): { rule: RateRule; matchedBy: RuleMatchedBy } | null {
  return findCompiled(line, line.category, skuOf(line).toLowerCase(), compileCard(card));
}

function findCompiled(line: BillingLine, category: ChargeCategory, foldedSku: string, c: CompiledCard): Found | null {
  if (line.kind === 'usage' && line.meterId && c.byMeterId.size > 0) {
    const byMeter = c.byMeterId.get(line.meterId.toLowerCase());
    if (byMeter) return byMeter;
  }
  const bySku = c.bySku.size === 0 ? undefined : c.bySku.get(foldedSku);
  if (bySku) return bySku;
  return c.byCategory.get(category) ?? c.fallback;
}

/** Share of a charge cycle the line bills: 1 for usage, days ÷ daysInCycle for a licence line. */
function cycleShare(line: BillingLine): Decimal {
  if (line.kind === 'usage') return ONE;
  const { days, daysInCycle } = line.chargeDays;
  if (!Number.isInteger(days) || !Number.isInteger(daysInCycle) || days < 0 || daysInCycle <= 0 || days > daysInCycle) {
    throw new EngineError('invalid_input', `Licence line ${line.id}: chargeDays ${days}/${daysInCycle} is not a share of a cycle`, { lineId: line.id });
  }
  return new Decimal(days).div(daysInCycle);
}

/** What Microsoft's line says about its own currencies and rate (the `microsoft` fx source reads it). */
function microsoftFx(line: BillingLine) {
  return {
    pricingCurrency: line.pricingCurrency,
    billingCurrency: line.billingCurrency,
    pcToBCExchangeRate: line.pcToBCExchangeRate,
    pcToBCExchangeRateDate: line.pcToBCExchangeRateDate,
  };
}

/** A quantity-based amount carrying the line's direction: a credit when Microsoft's cost is negative. */
function directed(line: BillingLine, amount: Decimal): Decimal {
  const negative = line.cost.isZero() ? line.quantity.isNegative() : line.cost.isNegative();
  return negative ? amount.abs().negated() : amount.abs();
}

function describe(line: BillingLine, sku: string): string {
  if (line.kind === 'usage') return line.meterName ?? line.skuName ?? line.productName ?? sku;
  return line.skuName ?? line.productName ?? sku;
}

/**
 * Price one categorised line with a rate card under the close's fx policy (whose
 * source must be the one the card names).
 *
 * @example
 *   // cost 100.00 USD, card in USD, rule { category: 'compute', basis: 'cost', markupPercent: 15 }
 *   priceLine(line, card, { source: 'microsoft' })
 *   // { status: 'priced', ruleId, basis: 'cost', price: 115, cost: 100.00, ... }
 */
export function priceLine(line: CategorizedLine, card: RateCard, fx: FxPolicy): RatingResult {
  return priceWith(line, line.category, card, compileCard(card), fx);
}

function priceWith(line: BillingLine, category: ChargeCategory, card: RateCard, c: CompiledCard, fx: FxPolicy): RatingResult {
  if (fx.source !== card.fx.source) {
    throw new EngineError(
      'fx_policy_mismatch',
      `Rate card ${card.id} v${card.version} prices with ${card.fx.source} fx rates but the close supplied ${fx.source} rates`,
      { cardId: card.id, cardVersion: card.version },
    );
  }

  const { sku, folded } = skuKeyOf(line);
  const group = line.kind === 'usage' ? line.group : undefined;
  const found = findCompiled(line, category, folded, c);
  if (!found) {
    const unpriced: UnpricedLine = {
      status: 'unpriced',
      lineId: line.id,
      customerId: line.customerId,
      category,
      sku: sku,
      meterId: line.kind === 'usage' ? line.meterId : null,
      cardId: card.id,
      cardVersion: card.version,
      reason:
        `No rule in rate card ${card.id} v${card.version} prices line ${line.id}${group ? ` (and ${group.lineCount - 1} more like it)` : ''} ` +
        `(SKU ${sku}${line.kind === 'usage' && line.meterId ? `, meter ${line.meterId}` : ''}, category ${category}) and the card has no default rule`,
    };
    return unpriced;
  }
  const { rule, matchedBy } = found;

  let costAmount: Decimal;
  let costFx: FxUsed;
  if (line.billingCurrency === card.currency) {
    // convertCurrency's identity case, without its per-call case folding (the date is still checked).
    toDayNumber(line.date);
    costAmount = line.cost;
    costFx = identityFx(c, card.currency, line.date);
  } else {
    const converted = convertCurrency({ amount: line.cost, from: line.billingCurrency, to: card.currency, date: line.date, microsoft: microsoftFx(line) }, fx);
    costAmount = converted.amount;
    costFx = converted.fx;
  }

  let basis: PricedLine['basis'];
  let basisAmount: Decimal | null;
  let priceFx: PricedLine['fx'];
  let price: Decimal;
  if (rule.unitPrice != null) {
    basis = 'fixed';
    basisAmount = null;
    priceFx = null;
    price = directed(line, rule.unitPrice.times(line.quantity).times(cycleShare(line)));
  } else if (rule.basis === 'cost') {
    basis = 'cost';
    basisAmount = costAmount;
    priceFx = costFx;
    price = costAmount.times(c.factors.get(rule) as Decimal);
  } else {
    basis = 'list';
    const listAmount = directed(line, line.unitPrice.times(line.quantity).times(cycleShare(line)));
    const list = convertCurrency({ amount: listAmount, from: line.pricingCurrency, to: card.currency, date: line.date, microsoft: microsoftFx(line) }, fx);
    basisAmount = list.amount;
    priceFx = list.fx;
    price = list.amount.times(c.factors.get(rule) as Decimal);
  }

  return {
    status: 'priced',
    lineId: line.id,
    kind: line.kind,
    customerId: line.customerId,
    subscriptionId: line.subscriptionId,
    resourceGroup: line.kind === 'usage' ? line.resourceGroup : null,
    meterId: line.kind === 'usage' ? line.meterId : null,
    meterCategory: line.kind === 'usage' ? line.meterCategory : null,
    sku: sku,
    description: describe(line, sku),
    category,
    tags: line.tags,
    date: line.date,
    quantity: line.quantity,
    currency: card.currency,
    cardId: card.id,
    cardVersion: card.version,
    ruleId: rule.id,
    matchedBy,
    basis,
    markupPercent: rule.markupPercent ?? null,
    unitPrice: rule.unitPrice ?? null,
    basisAmount,
    price,
    cost: costAmount,
    fx: priceFx,
    costFx,
    rounding: c.rounding,
    lineCount: group ? group.lineCount : 1,
    groupKey: group ? group.key : null,
  };
}

/**
 * Price many lines; the unpriced ones are returned beside the priced ones, in input order.
 * @example rateLines(lines, card, fx) // { priced: [...], unpriced: [{ lineId, reason }] }
 */
export function rateLines(lines: readonly CategorizedLine[], card: RateCard, fx: FxPolicy): { priced: PricedLine[]; unpriced: UnpricedLine[] } {
  const priced: PricedLine[] = [];
  const unpriced: UnpricedLine[] = [];
  const c = compileCard(card);
  for (const line of lines) {
    const result = priceWith(line, line.category, card, c, fx);
    if (result.status === 'priced') priced.push(result);
    else unpriced.push(result);
  }
  return { priced, unpriced };
}

/**
 * rateLines over lines whose categories come beside them (categories[i] is lines[i]'s),
 * so the close need not copy every line to attach its category. Same results.
 */
export function rateLinesWithCategories(
  lines: readonly BillingLine[],
  categories: readonly ChargeCategory[],
  card: RateCard,
  fx: FxPolicy,
): { priced: PricedLine[]; unpriced: UnpricedLine[] } {
  const priced: PricedLine[] = [];
  const unpriced: UnpricedLine[] = [];
  const c = compileCard(card);
  for (let i = 0; i < lines.length; i += 1) {
    const result = priceWith(lines[i] as BillingLine, categories[i] as ChargeCategory, card, c, fx);
    if (result.status === 'priced') priced.push(result);
    else unpriced.push(result);
  }
  return { priced, unpriced };
}
