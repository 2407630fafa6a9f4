/**
 * The optimised close (src/engine) against the engine as it was before the optimisation
 * (test/unit/engine/reference, a verbatim copy): on seeded random lines — usage and
 * licences, credits, many-digit prices, several currencies and fx policies, every
 * rounding scope and mode, markup, list and fixed rules, multi-split allocation rules,
 * late adjustments, margin targets — both must return the same result, value for value.
 */
import { describe, expect, it } from 'vitest';
import { closeCustomerPeriod, startCustomerClose, type CustomerCloseResult } from '../../../src/engine/close.ts';
import { DEFAULT_CATEGORY_MAPPING } from '../../../src/engine/categories.ts';
import { Decimal } from '../../../src/engine/decimal.ts';
import type { AllocationRule, BillingLine, FxPolicy, RateCard } from '../../../src/engine/types.ts';
import { tagCompliance as referenceTagCompliance } from './reference/allocation.ts';
import { closeCustomerPeriod as referenceClose } from './reference/close.ts';
import { seededRandom } from './fixtures.ts';

const d = (v: string | number) => new Decimal(v);

/** Plain data with every Decimal as its exact digits (sign included, so −0 ≠ 0). */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'object' && value !== null && 'toStringTag' in value && (value as { toStringTag?: string }).toStringTag === '[object Decimal]') {
    const v = value as unknown as Decimal;
    return `D(${v.isNegative() ? '-' : ''}${v.abs().toString()})`;
  }
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) out[k] = plain((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

function scenario(seed: number) {
  const rnd = seededRandom(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const digits = (int: number, frac: number) => {
    let s = String(Math.floor(rnd() * 10 ** int));
    if (frac > 0) s += '.' + Array.from({ length: frac }, () => Math.floor(rnd() * 10)).join('');
    return s;
  };
  const currency = pick(['USD', 'USD', 'EUR', 'JPY', 'BHD']);
  const billing = pick([currency, currency, 'USD', 'EUR']);
  const meterCats = ['Virtual Machines', 'Storage', 'Bandwidth', 'SQL Database', 'Unknown Meter', null];
  const mkLine = (i: number, prefix: string): BillingLine => {
    const tags: Record<string, string> = pick<Record<string, string>>([{}, { project: 'web' }, { Project: 'data' }, { project: ' ' }, { cc: 'x', project: 'web' }]);
    const negative = rnd() < 0.1;
    const qty = d(digits(3, pick([0, 2, 6])));
    const eup = d(digits(1, pick([2, 6, 12])));
    const rate = billing === 'USD' && rnd() < 0.7 ? d(1) : d(digits(1, 4)).plus(0.5);
    const exact = eup.times(qty).times(rate).toDecimalPlaces(2, Decimal.ROUND_DOWN);
    const cost0 = rnd() < 0.8 ? exact : exact.plus(d('0.01').times(Math.floor(rnd() * 5) - 2));
    const cost = negative ? cost0.negated() : cost0;
    const base = {
      id: `${prefix}:${i}`,
      customerId: 'c1',
      subscriptionId: pick(['s1', 's2', 'S1']),
      productId: pick(['P1', 'P2', '']),
      skuId: pick(['0001', '0002']),
      productName: pick([null, 'Product One']),
      skuName: pick([null, 'Sku']),
      publisherName: pick(['Microsoft', 'Contoso', null]),
      date: `2026-10-${String(1 + Math.floor(rnd() * 28)).padStart(2, '0')}`,
      quantity: negative && rnd() < 0.5 ? qty.negated() : qty,
      unitPrice: d(digits(1, pick([2, 8]))),
      effectiveUnitPrice: eup,
      pricingCurrency: 'USD',
      billingCurrency: billing,
      pcToBCExchangeRate: rate,
      pcToBCExchangeRateDate: '2026-09-28',
      cost,
      tags,
    };
    if (rnd() < 0.85) {
      return { ...base, kind: 'usage', resourceGroup: pick(['rg-a', 'RG-A', 'rg-b', null]), meterId: pick(['m1', 'm2', 'M3', null]), meterCategory: pick(meterCats), meterName: pick([null, 'Meter']) };
    }
    const cycle = pick([30, 31, 365]);
    return { ...base, kind: 'license', pricingModel: pick(['seat', 'usage'] as const), chargeType: 'cycleCharge', chargeDays: { days: 1 + Math.floor(rnd() * cycle), daysInCycle: cycle } };
  };
  const n = 50 + Math.floor(rnd() * 300);
  const lines = Array.from({ length: n }, (_, i) => mkLine(i, pick(['u', 'u', 'l', 'r'])));
  const markup = () => d(pick(['15', '20', '-5', '0', '12.5', '33.333333333333333333333333333333333333', '7.123456789']));
  const rules = [
    { id: 'r-compute', match: { category: 'compute' }, basis: 'cost', markupPercent: markup() },
    { id: 'r-storage', match: { category: 'storage' }, basis: pick(['cost', 'list']), markupPercent: markup() },
    ...(rnd() < 0.5 ? [{ id: 'r-meter', match: { meterId: 'm2' }, unitPrice: d(digits(1, 4)) }] : []),
    ...(rnd() < 0.5 ? [{ id: 'r-sku', match: { sku: 'P1:0002' }, basis: 'list', markupPercent: markup() }] : []),
    ...(rnd() < 0.9 ? [{ id: 'r-default', match: { default: true }, basis: 'cost', markupPercent: markup() }] : []),
  ];
  const fxSource = billing === currency ? pick(['microsoft', 'market', 'fixed'] as const) : pick(['market', 'fixed'] as const);
  const fx: FxPolicy =
    fxSource === 'microsoft'
      ? { source: 'microsoft' }
      : fxSource === 'market'
        ? { source: 'market', table: [{ id: 'm', from: billing, to: currency, date: '2026-09-01', rate: d('1.0834567') }, { id: 'm2', from: 'USD', to: currency, date: '2026-09-01', rate: d('0.91') }] }
        : { source: 'fixed', from: billing, to: currency, rate: d('1.1'), date: '2026-09-01' };
  const card = {
    id: 'card',
    version: 1,
    currency,
    rounding: { scope: pick(['line', 'invoice']), mode: pick(['half_up', 'half_even']) },
    fx: { source: fxSource },
    minimumMonthly: rnd() < 0.3 ? d(currency === 'JPY' ? '100000' : '1000') : null,
    targetMarginPercent: rnd() < 0.7 ? d(pick(['15', '13.04', '0'])) : null,
    rules,
  } as unknown as RateCard;
  const allocationRules = [
    { id: 'a1', version: 1, priority: 1, match: { tag: { key: 'PROJECT', value: 'web' } }, splits: [{ costNodeId: 'web', percent: d(100) }] },
    { id: 'a2', version: 2, priority: 2, match: { resourceGroup: 'rg-a' }, splits: [{ costNodeId: 'x', percent: d('33.33') }, { costNodeId: 'y', percent: d('66.67') }] },
    { id: 'a3', version: 1, priority: 3, match: { tag: { key: 'project' } }, splits: [{ costNodeId: 'p1', percent: d('50') }, { costNodeId: 'p2', percent: d('25') }, { costNodeId: 'p3', percent: d('25') }] },
    { id: 'a4', version: 1, priority: 4, match: { meterCategory: 'storage' }, splits: [{ costNodeId: 'st', percent: d(100) }] },
  ].slice(0, 1 + Math.floor(rnd() * 4)) as AllocationRule[];
  const late = rnd() < 0.4 ? [{ originalPeriod: '2026-09', lines: Array.from({ length: 20 }, (_, i) => mkLine(i, 'ru')).map((l, i) => ({ ...l, id: `late:${i}` })), card, fx }] : [];
  const requiredTags = pick([undefined, ['project'], ['PROJECT', 'cc'], []]);
  return { customerId: 'c1', period: '2026-10', lines, late, mapping: DEFAULT_CATEGORY_MAPPING, card, fx, allocationRules, unallocatedNodeId: 'unallocated', ...(requiredTags ? { requiredTags } : {}) };
}

function outcome(run: () => unknown): unknown {
  try {
    return { ok: plain(run()) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('optimised close = reference close', () => {
  it('gives the same result, value for value, on 100 seeded random customers', () => {
    let invoices = 0;
    for (let seed = 1; seed <= 100; seed += 1) {
      const input = scenario(seed);
      const expected = outcome(() => referenceClose(input as never));
      // Tag compliance is newer than the reference: the rest must match it, and the
      // compliance must be the reference's tagCompliance over this period's usage lines at
      // Microsoft's cost. The unmapped count is newer too: it must be the length of the
      // reference's list (these customers have far fewer than the 1,000 ids a close names).
      const referenceResult = expected as { ok?: { unmappedLineIds: string[] } };
      const actual = outcome(() => {
        const { tagCompliance, seatFindings, unmappedLines, ...rest } = closeCustomerPeriod(input);
        if (referenceResult.ok) expect(unmappedLines, `seed ${seed} unmapped count`).toBe(referenceResult.ok.unmappedLineIds.length);
        expect(seatFindings, `seed ${seed}: no seat subscriptions, no seat findings`).toEqual([]);
        const usage = input.lines.filter((l) => l.kind === 'usage').map((l) => ({ id: l.id, amount: l.cost, currency: l.billingCurrency, tags: l.tags }));
        const reference = input.requiredTags ? referenceTagCompliance(usage, input.requiredTags) : null;
        const wanted = reference && input.requiredTags?.length === 0 ? { ...reference, compliantAmount: new Decimal(0), share: null } : reference;
        expect(plain(tagCompliance), `seed ${seed} tag compliance`).toEqual(plain(wanted));
        return rest;
      });
      expect(actual, `seed ${seed}`).toEqual(expected);
      if ((expected as { ok?: { invoice?: unknown } }).ok?.invoice) invoices += 1;
    }
    expect(invoices).toBeGreaterThan(30);
  });
});

function closeCustomerPeriodOrNull(input: ReturnType<typeof scenario>): CustomerCloseResult | null {
  try {
    return closeCustomerPeriod(input);
  } catch {
    return null;
  }
}

/** Feeds a close in random batch sizes (1 to 60 lines), late groups after this period's lines. */
function streamed(input: ReturnType<typeof scenario>, seed: number, options: Parameters<typeof startCustomerClose>[1]) {
  const rnd = seededRandom(seed * 7 + 1);
  const { lines, late, ...rest } = input;
  const close = startCustomerClose({ ...rest, late: late.map(({ lines: _l, ...header }) => header) }, options);
  const feed = (all: readonly BillingLine[], add: (batch: BillingLine[]) => void) => {
    for (let i = 0; i < all.length; ) {
      const n = 1 + Math.floor(rnd() * 60);
      add(all.slice(i, i + n));
      i += n;
    }
  };
  feed(lines, (batch) => close.addLines(batch));
  late.forEach((group, index) => feed(group.lines, (batch) => close.addLate(index, batch)));
  return close.finish();
}

describe('a close fed in batches = the close over all lines at once', () => {
  it('gives the same invoice, margin, findings and lineage on 100 seeded random customers, without keeping the lines', () => {
    let invoices = 0;
    for (let seed = 1; seed <= 100; seed += 1) {
      const input = scenario(seed);
      const whole = outcome(() => closeCustomerPeriod(input));
      const sources = new Map<string, unknown[]>();
      const batched = outcome(() =>
        streamed(input, seed, {
          onSource: (id, source) => {
            const list = sources.get(id) ?? [];
            list.push(source);
            sources.set(id, list);
          },
        }),
      );
      const w = whole as { ok?: CustomerCloseResult; error?: string };
      const b = batched as { ok?: CustomerCloseResult; error?: string };
      expect(b.error, `seed ${seed}`).toEqual(w.error);
      if (!w.ok || !b.ok) continue;
      const { priced, allocated, invoice, ...rest } = w.ok as unknown as CustomerCloseResult;
      const { priced: bPriced, allocated: bAllocated, invoice: bInvoice, ...bRest } = b.ok as unknown as CustomerCloseResult;
      expect(bPriced, `seed ${seed}: no priced lines kept`).toEqual([]);
      expect(bAllocated, `seed ${seed}: no allocated lines kept`).toEqual([]);
      expect(bRest, `seed ${seed}`).toEqual(rest);
      if (!invoice) {
        expect(bInvoice).toBeNull();
        continue;
      }
      invoices += 1;
      expect(bInvoice, `seed ${seed}`).toEqual({ ...invoice, lines: (invoice as { lines: { sources: unknown[] }[] }).lines.map((l) => ({ ...l, sources: [] })) });
      // Every invoice line's sources reach onSource, in the same order as the whole close keeps them.
      for (const line of (invoice as { lines: { id: string; sources: unknown[] }[] }).lines) {
        expect(plain(sources.get(line.id) ?? []), `seed ${seed} line ${line.id}`).toEqual(line.sources);
      }
    }
    expect(invoices).toBeGreaterThan(30);
  });
});

/**
 * Inputs the close refuses or holds, alone and together, against the reference: the
 * batched close must throw (or hold) exactly as the step-by-step close over the whole
 * list does, whichever batch the problem arrives in.
 */
describe('a close fed in batches fails and holds as the reference does', () => {
  type Input = ReturnType<typeof scenario>;
  const problems: Record<string, (input: Input) => Input> = {
    'a line of another customer': (i) => ({ ...i, lines: i.lines.map((l, k) => (k === Math.floor(i.lines.length / 2) ? { ...l, customerId: 'c2' } : l)) }),
    'allocation splits that miss 100 %': (i) => ({
      ...i,
      allocationRules: [{ id: 'bad', version: 1, priority: 0, match: { resourceGroup: 'rg-b' }, splits: [{ costNodeId: 'x', percent: new Decimal(90) }] }] as AllocationRule[],
    }),
    'a line no rule prices': (i) => ({
      ...i,
      card: { ...i.card, rules: (i.card.rules as RateCard['rules']).filter((r) => !('default' in r.match)) } as RateCard,
      lines: [...i.lines, { ...(i.lines[0] as BillingLine), id: 'u:unpriced', kind: 'usage', meterCategory: 'Unknown Meter', meterId: null, productId: 'PX' } as BillingLine],
    }),
    'a market rate missing': (i) => ({ ...i, fx: { source: 'market', table: [] } as FxPolicy }),
    'a late group of the same period': (i) => ({ ...i, late: i.late.length ? [{ ...(i.late[0] as Input['late'][number]), originalPeriod: '2026-10' }] : i.late }),
  };
  const names = Object.keys(problems);

  // The reference gathers allocations by line id, so it reports a repeated line as allocations that do not add up.
  it('names a line given twice, in whichever batch it comes back', () => {
    let checked = 0;
    for (let seed = 1; seed <= 12; seed += 1) {
      const input = scenario(seed);
      if (!closeCustomerPeriodOrNull(input)?.invoice) continue;
      checked += 1;
      const twice = { ...input, lines: [...input.lines, input.lines[3] as BillingLine] };
      const r = outcome(() => streamed(twice, seed, {})) as { ok?: CustomerCloseResult; error?: string };
      expect(r.error, `seed ${seed}`).toBe(`Line ${(input.lines[3] as BillingLine).id} appears twice on the invoice`);
    }
    expect(checked).toBeGreaterThan(3);
  });
  const combos = [...names.map((n) => [n]), ...names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b]))];

  it.each(combos.map((c) => [c.join(' + '), c] as const))('%s', (_label, combo) => {
    for (let seed = 1; seed <= 12; seed += 1) {
      const input = combo.reduce((acc, name) => (problems[name] as (i: Input) => Input)(acc), scenario(seed));
      const expected = outcome(() => referenceClose(input as never));
      const actual = outcome(() => streamed(input, seed, { keepLines: true }));
      const summary = (o: unknown) => {
        const r = o as { ok?: CustomerCloseResult; error?: string };
        return r.error !== undefined ? { error: r.error } : { held: r.ok?.held, unpriced: r.ok?.unpriced.length, total: r.ok?.invoice?.total.toString() ?? null };
      };
      // A late group for the period itself is refused up front (the reference refuses it only once it has priced lines).
      if (combo.includes('a late group of the same period') && input.late.length > 0) {
        expect(summary(actual), `seed ${seed}`).toEqual({ error: 'Late group 2026-10 must be a period before 2026-10, given once' });
        continue;
      }
      expect(summary(actual), `seed ${seed}`).toEqual(summary(expected));
    }
  });
});
