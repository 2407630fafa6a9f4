import { Decimal } from '../engine/decimal.ts';

const HUNDRED = new Decimal(100);

/** One issued invoice's all-categories margin row (as the margin report reads it). */
export interface InvoiceMargin {
  group: string;
  currency: string;
  price: string;
  margin: string;
  targetMarginPercent: string | null;
}

export interface GroupMarginVariance {
  group: string;
  currency: string;
  invoices: number;
  price: string;
  margin: string;
  /** Σ margin ÷ Σ price × 100, to 4 places; null when the group priced nothing. */
  marginPercent: string | null;
  /** The targets weighted by each invoice's price, to 4 places; null when no invoice has one. */
  targetMarginPercent: string | null;
  /** marginPercent − targetMarginPercent, in percentage points. */
  deviationPoints: string | null;
}

/**
 * Margin against target per customer group and currency. A group's margin is what its
 * invoices earned together (Σ margin ÷ Σ price), and its target is the targets weighted
 * by price, so one large customer far off target moves the group as much as it moves
 * the MSP's money, and a small one as little.
 *
 * @example
 *   groupMarginVariance([{ group: 'SMB', currency: 'USD', price: '1000.00', margin: '150.00', targetMarginPercent: '20' },
 *                        { group: 'SMB', currency: 'USD', price: '3000.00', margin: '600.00', targetMarginPercent: '18' }])
 *   // [{ group: 'SMB', currency: 'USD', invoices: 2, price: '4000', margin: '750', marginPercent: '18.75', targetMarginPercent: '18.5', deviationPoints: '0.25' }]
 */
export function groupMarginVariance(rows: readonly InvoiceMargin[]): GroupMarginVariance[] {
  const groups = new Map<string, { group: string; currency: string; invoices: number; price: Decimal; margin: Decimal; targetPrice: Decimal; targetWeighted: Decimal }>();
  for (const r of rows) {
    const key = `${r.group}\u0000${r.currency}`;
    const g = groups.get(key) ?? { group: r.group, currency: r.currency, invoices: 0, price: new Decimal(0), margin: new Decimal(0), targetPrice: new Decimal(0), targetWeighted: new Decimal(0) };
    const price = new Decimal(r.price);
    g.invoices += 1;
    g.price = g.price.plus(price);
    g.margin = g.margin.plus(r.margin);
    if (r.targetMarginPercent !== null) {
      g.targetPrice = g.targetPrice.plus(price);
      g.targetWeighted = g.targetWeighted.plus(price.times(r.targetMarginPercent));
    }
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => (a.group === b.group ? (a.currency < b.currency ? -1 : 1) : a.group < b.group ? -1 : 1))
    .map((g) => {
      const marginPercent = g.price.isZero() ? null : g.margin.div(g.price).times(HUNDRED).toDecimalPlaces(4);
      const target = g.targetPrice.isZero() ? null : g.targetWeighted.div(g.targetPrice).toDecimalPlaces(4);
      return {
        group: g.group,
        currency: g.currency,
        invoices: g.invoices,
        price: g.price.toString(),
        margin: g.margin.toString(),
        marginPercent: marginPercent?.toString() ?? null,
        targetMarginPercent: target?.toString() ?? null,
        deviationPoints: marginPercent !== null && target !== null ? marginPercent.minus(target).toString() : null,
      };
    });
}
