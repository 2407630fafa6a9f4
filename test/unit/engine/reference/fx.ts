/**
 * Currency policy: convert an amount into the rate card's currency and say which
 * rate did it.
 *
 * - 'microsoft': the line's own PCToBCExchangeRate (pricing → billing currency, fixed
 *   by Microsoft on PCToBCExchangeRateDate). It can convert pricing → billing, and the
 *   inverse (billing → pricing, rate 1 ÷ PCToBCExchangeRate); any other pair is an error.
 * - 'market': the latest table rate for exactly (from, to) dated on or before the
 *   amount's date. Only the direct pair is used — an inverse is not derived — so the
 *   table says exactly which rates were used. Missing → error naming pair and date.
 * - 'fixed': one negotiated rate for one pair.
 *
 * Same currency in and out is the identity (rate 1) under every policy. Conversion
 * never rounds: the card rounds once, where it says.
 */
import { Decimal, ONE } from './decimal.ts';
import { toDayNumber } from './dates.ts';
import { EngineError } from './errors.ts';
import type { ConversionRequest, Converted, CurrencyCode, FxPolicy, FxUsed, IsoDate, MarketRate } from './types.ts';

function same(a: CurrencyCode, b: CurrencyCode): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

function converted(amount: Decimal, fx: FxUsed): Converted {
  return { amount: amount.times(fx.rate), fx };
}

/**
 * Convert an amount under a currency policy; returns the converted amount and the
 * rate used (rate, source, rate date, rate id) for lineage.
 *
 * @example
 *   convertCurrency({ amount: 16.28, from: 'EUR', to: 'GBP', date: '2026-11-20' },
 *                   { source: 'market', table })
 *   // { amount: 14.1636, fx: { from: 'EUR', to: 'GBP', rate: 0.87, source: 'market', rateDate: '2026-11-19', rateId: 'ecb-1119' } }
 */
export function convertCurrency(request: ConversionRequest, policy: FxPolicy): Converted {
  const { amount, from, to, date } = request;
  toDayNumber(date);
  if (same(from, to)) {
    return { amount, fx: { from, to, rate: ONE, source: 'identity', rateDate: date, rateId: null } };
  }
  switch (policy.source) {
    case 'microsoft':
      return converted(amount, microsoftRate(request));
    case 'market':
      return converted(amount, marketRate(policy.table, from, to, date));
    case 'fixed': {
      if (!same(policy.from, from) || !same(policy.to, to)) {
        throw new EngineError(
          'fx_policy_mismatch',
          `The fixed rate ${policy.from}→${policy.to} cannot convert ${from}→${to}`,
          { from, to, fixedFrom: policy.from, fixedTo: policy.to },
        );
      }
      return converted(amount, { from, to, rate: policy.rate, source: 'fixed', rateDate: policy.date, rateId: policy.id ?? null });
    }
    default:
      throw new EngineError('invalid_input', `Unknown fx source "${String((policy as { source: unknown }).source)}"`);
  }
}

function microsoftRate(request: ConversionRequest): FxUsed {
  const { from, to, microsoft } = request;
  if (!microsoft) {
    throw new EngineError('fx_policy_mismatch', `Converting ${from}→${to} with Microsoft's rate needs the line's PCToBCExchangeRate`, { from, to });
  }
  const { pricingCurrency, billingCurrency, pcToBCExchangeRate, pcToBCExchangeRateDate } = microsoft;
  if (same(from, pricingCurrency) && same(to, billingCurrency)) {
    return { from, to, rate: pcToBCExchangeRate, source: 'microsoft', rateDate: pcToBCExchangeRateDate, rateId: null };
  }
  if (same(from, billingCurrency) && same(to, pricingCurrency)) {
    return { from, to, rate: ONE.div(pcToBCExchangeRate), source: 'microsoft', rateDate: pcToBCExchangeRateDate, rateId: null };
  }
  throw new EngineError(
    'fx_policy_mismatch',
    `Microsoft's rate on this line converts ${pricingCurrency}→${billingCurrency}; it cannot convert ${from}→${to}. Use a market or fixed fx policy`,
    { from, to, pricingCurrency, billingCurrency },
  );
}

interface IndexedRate {
  day: number;
  row: MarketRate;
  /** Another row for the same pair and day carries a different rate. */
  ambiguous: boolean;
}

/** Market tables indexed per pair (rows sorted by day), built once per table object: treat a table as frozen once used. */
const marketIndexes = new WeakMap<readonly MarketRate[], Map<string, IndexedRate[]>>();

function pairKey(from: CurrencyCode, to: CurrencyCode): string {
  return `${from.toUpperCase()}>${to.toUpperCase()}`;
}

function indexTable(table: readonly MarketRate[]): Map<string, IndexedRate[]> {
  let index = marketIndexes.get(table);
  if (index) return index;
  index = new Map();
  for (const row of table) {
    const key = pairKey(row.from, row.to);
    const rows = index.get(key) ?? [];
    rows.push({ day: toDayNumber(row.date), row, ambiguous: false });
    index.set(key, rows);
  }
  for (const rows of index.values()) {
    rows.sort((a, b) => a.day - b.day);
    for (let i = 1; i < rows.length; i += 1) {
      const prev = rows[i - 1] as IndexedRate;
      const cur = rows[i] as IndexedRate;
      if (prev.day === cur.day && !prev.row.rate.equals(cur.row.rate)) {
        prev.ambiguous = true;
        cur.ambiguous = true;
      }
    }
  }
  marketIndexes.set(table, index);
  return index;
}

/**
 * The latest rate for (from, to) dated on or before `date` (binary search over the
 * table's rows for the pair, indexed once per table).
 * @example marketRate(table, 'USD', 'EUR', '2026-11-20') // the USD→EUR row with the greatest date ≤ 2026-11-20
 */
export function marketRate(table: readonly MarketRate[], from: CurrencyCode, to: CurrencyCode, date: IsoDate): FxUsed {
  const day = toDayNumber(date);
  const rows = indexTable(table).get(pairKey(from, to)) ?? [];
  let lo = 0;
  let hi = rows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((rows[mid] as IndexedRate).day <= day) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  const best = rows[found];
  if (!best) {
    throw new EngineError('fx_rate_missing', `No market rate ${from}→${to} on or before ${date}`, { from, to, date });
  }
  if (best.ambiguous) {
    throw new EngineError('fx_rate_ambiguous', `Two different market rates ${from}→${to} are dated ${best.row.date}`, { from, to, date: best.row.date });
  }
  return { from, to, rate: best.row.rate, source: 'market', rateDate: best.row.date, rateId: best.row.id ?? null };
}
