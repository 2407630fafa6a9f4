import { categorize } from '../engine/categories.ts';
import { periodBounds } from '../engine/dates.ts';
import { ZERO, type Decimal } from '../engine/decimal.ts';
import { rateLinesWithCategories } from '../engine/rating.ts';
import type { BillingLine, CurrencyCode, IsoDate } from '../engine/types.ts';
import { loadCurrentLinesBetween } from './billing-lines.ts';
import { loadCategoryMapping } from './charge-categories.ts';
import type { Db } from './database.ts';
import { loadEffectiveRateCard, loadFxPolicy } from './rate-cards.ts';

// A trial's spend cap limits what the customer would be billed for the trial, so its
// spend is the whole of it (Azure usage and licence seats) at the price the customer's
// rate card puts on each line, the card and fx a close of the line's month would use.
// A line no approved card prices yet (a won deal's card waits for its dual approval) still
// counts, at Microsoft's cost: a trial must not run past its cap unseen just because its
// prices are not approved yet.

export interface TrialSpend {
  /** priced + atCost, full precision, in the trial's currency. */
  total: Decimal;
  /** What the rate card prices the lines at. */
  priced: Decimal;
  /** Microsoft's cost of the lines no approved card prices (in the trial's currency). */
  atCost: Decimal;
  usageLines: number;
  licenceLines: number;
  /** Lines counted at cost. */
  unpricedLines: number;
}

/**
 * What a customer has spent from `from` up to (not including) `to`, in `currency`: each
 * current usage line by its usage date, each licence charge by the day it starts. A line
 * counted at cost that Microsoft bills in another currency than the trial's is left out
 * (priced lines are converted by the card's fx policy, as on the invoice).
 *
 * @example await trialSpend(db, customerId, { from: '2026-11-30', to: '2026-12-30' }, 'EUR') // { total: 1047.2, ... }
 */
export async function trialSpend(db: Db, customerId: string, window: { from: IsoDate; to: IsoDate }, currency: CurrencyCode): Promise<TrialSpend> {
  const lines = await loadCurrentLinesBetween(db, customerId, window.from, window.to, currency);
  const spend: TrialSpend = { total: ZERO, priced: ZERO, atCost: ZERO, usageLines: 0, licenceLines: 0, unpricedLines: 0 };
  if (lines.length === 0) return spend;
  const mapping = await loadCategoryMapping(db);
  const byMonth = new Map<string, BillingLine[]>();
  for (const line of lines) {
    if (line.kind === 'usage') spend.usageLines += 1;
    else spend.licenceLines += 1;
    const month = line.date.slice(0, 7);
    byMonth.set(month, [...(byMonth.get(month) ?? []), line]);
  }
  for (const [month, monthLines] of byMonth) {
    const card = await loadEffectiveRateCard(db, customerId, periodBounds(month).end);
    if (!card || card.currency !== currency) {
      atCost(spend, monthLines, currency);
      continue;
    }
    const fx = await loadFxPolicy(db, card, month);
    const rated = rateLinesWithCategories(
      monthLines,
      monthLines.map((l) => categorize(l, mapping).category),
      card,
      fx,
    );
    spend.priced = rated.priced.reduce((sum, p) => sum.plus(p.price), spend.priced);
    const unpriced = new Set(rated.unpriced.map((u) => u.lineId));
    atCost(spend, monthLines.filter((l) => unpriced.has(l.id)), currency);
  }
  spend.total = spend.priced.plus(spend.atCost);
  return spend;
}

/** Lines counted at Microsoft's cost, which can only be added up in the currency Microsoft bills them in. */
function atCost(spend: TrialSpend, lines: readonly BillingLine[], currency: CurrencyCode): void {
  for (const line of lines) {
    if (line.billingCurrency !== currency) continue;
    spend.atCost = spend.atCost.plus(line.cost);
    spend.unpricedLines += 1;
  }
}
