/**
 * Margin: what the MSP keeps, per customer and charge category, against the rate
 * card's target.
 *
 * - margin = price − cost (both in the card's currency; cost is Microsoft's billed
 *   cost converted); margin % = margin ÷ price × 100 (gross margin on the price, the
 *   way the card's targetMarginPercent is stated). No price → no margin %.
 * - A line is flagged when its margin % is more than `tolerancePoints` (default 2)
 *   percentage points away from its own card's target, either way — a discount rule or
 *   a fixed price that fell behind cost shows up as much as an accidental overcharge.
 *   Line flags judge the rule's pricing before rounding (unroundedPrice), so tiny usage
 *   lines rounded to a cent do not flood the report; totals use the charged price.
 * - A line priced at zero that cost something is flagged 'no_price'.
 */
import { Decimal, HUNDRED, sum } from './decimal.ts';
import { CHARGE_CATEGORIES } from './categories.ts';
import { EngineError } from './errors.ts';
import type { ChargeCategory, MarginFlag, MarginReport, MarginRow, PricedLine, RateCard } from './types.ts';

/** margin ÷ price × 100, or null when there is no price. @example marginPercent(100, 115) // 13.04347... */
export function marginPercent(cost: Decimal, price: Decimal): Decimal | null {
  if (price.isZero()) return null;
  return price.minus(cost).div(price).times(HUNDRED);
}

function row(customerId: string, category: ChargeCategory | null, lines: readonly PricedLine[], targetOf: (l: PricedLine) => Decimal | null): MarginRow {
  const cost = sum(lines.map((l) => l.cost));
  const price = sum(lines.map((l) => l.price));
  const pct = marginPercent(cost, price);
  const targets = new Set(lines.map((l) => targetOf(l)?.toString() ?? 'none'));
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
  const tolerance = options.tolerancePoints ?? new Decimal(2);
  const cardByKey = new Map(cards.map((c) => [`${c.id}@${c.version}`, c]));
  const targetOf = (line: PricedLine): Decimal | null => {
    const card = cardByKey.get(`${line.cardId}@${line.cardVersion}`);
    if (!card) {
      throw new EngineError('invalid_input', `Line ${line.lineId} was priced with rate card ${line.cardId} v${line.cardVersion}, which was not supplied`, {
        lineId: line.lineId,
      });
    }
    return card.targetMarginPercent ?? null;
  };

  const customers = [...new Set(lines.map((l) => l.customerId))].sort();
  const byCustomerCategory: MarginRow[] = [];
  const byCustomer: MarginRow[] = [];
  for (const customerId of customers) {
    const ofCustomer = lines.filter((l) => l.customerId === customerId);
    for (const category of CHARGE_CATEGORIES) {
      const inCategory = ofCustomer.filter((l) => l.category === category);
      if (inCategory.length > 0) byCustomerCategory.push(row(customerId, category, inCategory, targetOf));
    }
    byCustomer.push(row(customerId, null, ofCustomer, targetOf));
  }

  const flags: MarginFlag[] = [];
  for (const line of lines) {
    const target = targetOf(line);
    if (target === null) continue;
    const base = {
      lineId: line.lineId,
      customerId: line.customerId,
      category: line.category,
      ruleId: line.ruleId,
      cost: line.cost,
      price: line.unroundedPrice,
      targetMarginPercent: target,
    };
    const pct = marginPercent(line.cost, line.unroundedPrice);
    if (pct === null) {
      if (!line.cost.isZero()) flags.push({ ...base, marginPercent: null, deviationPoints: null, reason: 'no_price' });
      continue;
    }
    const deviation = pct.minus(target);
    if (deviation.abs().greaterThan(tolerance)) flags.push({ ...base, marginPercent: pct, deviationPoints: deviation, reason: 'off_target' });
  }
  // flagCount was added to MarginReport after this copy was frozen: here, by its definition, every flag is listed.
  return { byCustomerCategory, byCustomer, flags: flags.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0)), flagCount: flags.length };
}
