/**
 * Margin: what the MSP keeps, per customer and charge category, against the rate
 * card's target.
 *
 * - margin = price − cost (both in the card's currency; cost is Microsoft's billed
 *   cost converted); margin % = margin ÷ price × 100 (gross margin on the price, the
 *   way the card's targetMarginPercent is stated). No price → no margin %.
 * - A priced line (or group of source lines priced together: one flag, counted as its
 *   lines in flagCount) is flagged when its margin % is more than `tolerancePoints` (default 2)
 *   percentage points away from its own card's target, either way — a discount rule or
 *   a fixed price that fell behind cost shows up as much as an accidental overcharge.
 *   Prices are never rounded before the invoice, so a flag judges the rule's own pricing
 *   and tiny usage lines do not flood the report.
 * - A line priced at zero that cost something is flagged 'no_price'.
 */
import { Decimal, HUNDRED, ZERO } from './decimal.ts';
import { CHARGE_CATEGORIES } from './categories.ts';
import { CountedList } from './counted-list.ts';
import { EngineError } from './errors.ts';
import type { ChargeCategory, MarginFlag, MarginReport, MarginRow, PricedLine, RateCard } from './types.ts';

/** margin ÷ price × 100, or null when there is no price. @example marginPercent(100, 115) // 13.04347... */
export function marginPercent(cost: Decimal, price: Decimal): Decimal | null {
  if (price.isZero()) return null;
  return price.minus(cost).div(price).times(HUNDRED);
}

interface RowAcc {
  cost: Decimal;
  price: Decimal;
  /** Distinct target-providing cards seen, in first-seen order (a card's target is one value). */
  cards: Set<RateCard | null>;
}

function newAcc(): RowAcc {
  return { cost: ZERO, price: ZERO, cards: new Set() };
}

function row(customerId: string, category: ChargeCategory | null, acc: RowAcc): MarginRow {
  const { cost, price } = acc;
  const pct = marginPercent(cost, price);
  const targets = new Set<string>();
  for (const card of acc.cards) targets.add(card?.targetMarginPercent?.toString() ?? 'none');
  const only = targets.size === 1 ? [...targets][0] : undefined;
  const target = only !== undefined && only !== 'none' ? new Decimal(only) : null;
  return {
    customerId,
    category,
    cost,
    price,
    margin: price.minus(cost),
    marginPercent: pct,
    targetMarginPercent: target,
    deviationPoints: pct !== null && target !== null ? pct.minus(target) : null,
  };
}

/** Margin, line by line: `add` each priced line (in the order a whole list would give them), then `finish`. */
export interface MarginAccumulator {
  add(line: PricedLine): void;
  finish(): MarginReport;
}

/**
 * marginReport over lines that arrive in batches: the same report, value for value, as
 * one call over all of them in the same order (every row adds its lines in that order).
 * Holds one accumulator per customer and category, and the flagged lines: every one, or
 * with `keepFlags` the first that many (a customer's close keeps a count, not a flag per
 * line of a month in which a rule missed its target; ordered by customer, so meant for one).
 */
export function startMarginReport(cards: readonly RateCard[], options: { tolerancePoints?: Decimal; keepFlags?: number } = {}): MarginAccumulator {
  const tolerance = options.tolerancePoints ?? new Decimal(2);
  const cardByKey = new Map(cards.map((c) => [`${c.id}@${c.version}`, c]));
  // One lookup per distinct (cardId, cardVersion) pair, not per line.
  const cardCache = new Map<string, Map<number, RateCard>>();
  const missing: { line: PricedLine; index: number }[] = [];
  let index = 0;
  const cardOf = (line: PricedLine): RateCard | null => {
    let versions = cardCache.get(line.cardId);
    let card = versions?.get(line.cardVersion);
    if (card) return card;
    card = cardByKey.get(`${line.cardId}@${line.cardVersion}`);
    if (!card) {
      missing.push({ line, index });
      return null;
    }
    if (!versions) cardCache.set(line.cardId, (versions = new Map()));
    versions.set(line.cardVersion, card);
    return card;
  };

  const byCustomerAcc = new Map<string, { total: RowAcc; categories: Map<ChargeCategory, RowAcc> }>();
  const flags = new CountedList<MarginFlag>(options.keepFlags ?? Infinity);
  const add = (line: PricedLine): void => {
    const card = cardOf(line);
    index += 1;
    if (card === null) return;
    let c = byCustomerAcc.get(line.customerId);
    if (!c) byCustomerAcc.set(line.customerId, (c = { total: newAcc(), categories: new Map() }));
    let cat = c.categories.get(line.category);
    if (!cat) c.categories.set(line.category, (cat = newAcc()));
    cat.cost = cat.cost.plus(line.cost);
    cat.price = cat.price.plus(line.price);
    cat.cards.add(card);
    c.total.cost = c.total.cost.plus(line.cost);
    c.total.price = c.total.price.plus(line.price);
    c.total.cards.add(card);
    const target = card.targetMarginPercent ?? null;
    if (target !== null) {
      const flag = flagOf(line, target, tolerance);
      if (flag) flags.add(flag, line.lineCount);
    }
  };

  const finish = (): MarginReport => {
    if (missing.length > 0) {
      // The line the per-row pass meets first: customers in order, then categories in order, then input order.
      const rank = (c: ChargeCategory): number => (CHARGE_CATEGORIES.includes(c) ? CHARGE_CATEGORIES.indexOf(c) : CHARGE_CATEGORIES.length);
      missing.sort((a, b) => (a.line.customerId < b.line.customerId ? -1 : a.line.customerId > b.line.customerId ? 1 : 0) || rank(a.line.category) - rank(b.line.category) || a.index - b.index);
      const line = (missing[0] as { line: PricedLine }).line;
      throw new EngineError('invalid_input', `Line ${line.lineId} was priced with rate card ${line.cardId} v${line.cardVersion}, which was not supplied`, {
        lineId: line.lineId,
      });
    }
    const customers = [...byCustomerAcc.keys()].sort();
    const byCustomerCategory: MarginRow[] = [];
    const byCustomer: MarginRow[] = [];
    for (const customerId of customers) {
      const c = byCustomerAcc.get(customerId)!;
      for (const category of CHARGE_CATEGORIES) {
        const acc = c.categories.get(category);
        if (acc) byCustomerCategory.push(row(customerId, category, acc));
      }
      byCustomer.push(row(customerId, null, c.total));
    }
    // A stable sort: within a customer, flags stay in line order.
    return { byCustomerCategory, byCustomer, flags: flags.items.slice().sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)), flagCount: flags.count };
  };
  return { add, finish };
}

/** The line's flag against its card's target, or null when it is on target (see the module notes). */
function flagOf(line: PricedLine, target: Decimal, tolerance: Decimal): MarginFlag | null {
  const base = {
    lineId: line.lineId,
    customerId: line.customerId,
    category: line.category,
    ruleId: line.ruleId,
    cost: line.cost,
    price: line.price,
    targetMarginPercent: target,
  };
  const pct = marginPercent(line.cost, line.price);
  if (pct === null) return line.cost.isZero() ? null : { ...base, marginPercent: null, deviationPoints: null, reason: 'no_price' };
  const deviation = pct.minus(target);
  return deviation.abs().greaterThan(tolerance) ? { ...base, marginPercent: pct, deviationPoints: deviation, reason: 'off_target' } : null;
}

/**
 * Margin per customer and category, per customer, and the off-target lines.
 * Each line is judged against the card (id and version) that priced it.
 *
 * @example
 *   marginReport(pricedLines, [card]) // { byCustomerCategory: [...], byCustomer: [...], flags: [...] }
 */
export function marginReport(
  lines: readonly PricedLine[],
  cards: readonly RateCard[],
  options: { tolerancePoints?: Decimal } = {},
): MarginReport {
  const acc = startMarginReport(cards, options);
  for (const line of lines) acc.add(line);
  return acc.finish();
}
