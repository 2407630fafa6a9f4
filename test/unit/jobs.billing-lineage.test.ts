import { describe, expect, it } from 'vitest';
import { Decimal, ZERO } from '../../src/engine/decimal.ts';
import type { Allocation, FxUsed, InvoiceLineSource } from '../../src/engine/types.ts';
import { lineLineage } from '../../src/jobs/billing/lineage.ts';
import { seededRandom } from './engine/fixtures.ts';

// An invoice line's lineage rows, grouped as the close streams the line's sources by,
// against the plain definition: one row per source kind × rule × card version × fx ×
// allocation split, each summing its sources' quantity, cost, price and
// allocated amount in source order. Usage ids are kept as numbers (what usage_lines.id
// is), licence ids as they are.

const d = (v: string | number) => new Decimal(v);

function expected(sources: readonly InvoiceLineSource[]) {
  const rows = new Map<string, { key: string; ids: Array<number | string>; quantity: Decimal; cost: Decimal; price: Decimal; allocated: Decimal }>();
  for (const s of sources) {
    const kind = s.lineId.startsWith('ru:') ? 'usage_reversal' : s.lineId.startsWith('u:') ? 'usage' : 'license';
    for (const a of s.allocations) {
      const key = [kind, s.ruleId, `${s.cardId}@${s.cardVersion}`, JSON.stringify(s.fx), JSON.stringify(s.costFx), a.ruleId, a.ruleVersion, a.costNodeId, a.percent.toString()].join('|');
      let r = rows.get(key);
      if (!r) rows.set(key, (r = { key, ids: [], quantity: ZERO, cost: ZERO, price: ZERO, allocated: ZERO }));
      const id = s.lineId.slice(s.lineId.indexOf(':') + 1);
      r.ids.push(kind === 'license' ? id : Number(id));
      r.quantity = r.quantity.plus(s.quantity);
      r.cost = r.cost.plus(s.cost);
      r.price = r.price.plus(s.price);
      r.allocated = r.allocated.plus(a.amount);
    }
  }
  return [...rows.values()].map(({ key: _key, ...r }) => ({ ...r, quantity: r.quantity.toString(), cost: r.cost.toString(), price: r.price.toString(), allocated: r.allocated.toString() }));
}

describe('LineLineageBuilder', () => {
  it('groups 50 seeded random lines of sources exactly as the plain definition', () => {
    const market: FxUsed = { from: 'EUR', to: 'USD', rate: d('1.0834567'), source: 'market', rateDate: '2026-09-01', rateId: 'm1' };
    const identity = (): FxUsed => ({ from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-03', rateId: null });
    const half = d(50);
    for (let seed = 1; seed <= 50; seed += 1) {
      const rnd = seededRandom(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
      const sources: InvoiceLineSource[] = [];
      const n = 1 + Math.floor(rnd() * 40);
      for (let i = 0; i < n; i += 1) {
        const unrounded = d((rnd() * 100).toFixed(pick([2, 6, 9]))).times(pick([1, -1]));
        const price = unrounded;
        const split = rnd() < 0.3;
        const first = price.times('0.3333').toDecimalPlaces(2);
        const allocations: Allocation[] = split
          ? [
              { lineId: `u:${i}`, costNodeId: 'a', ruleId: 'r2', ruleVersion: 1, percent: d('33.33'), amount: first },
              { lineId: `u:${i}`, costNodeId: 'b', ruleId: 'r2', ruleVersion: 1, percent: d('66.67'), amount: price.minus(first) },
            ]
          : [{ lineId: `u:${i}`, costNodeId: pick(['web', 'unallocated']), ruleId: null, ruleVersion: null, percent: pick([half, d(100)]), amount: rnd() < 0.8 ? price : d(price.toString()) }];
        const fx = pick([identity(), identity(), market]);
        sources.push({
          lineId: `${pick(['u', 'u', 'ru', 'l'])}:${1000 + i}`,
          lineCount: 1,
          groupKey: null,
          ruleId: pick(['compute', 'default']),
          cardId: 'card',
          cardVersion: pick([1, 2]),
          basis: 'cost',
          quantity: d((rnd() * 24).toFixed(3)),
          price,
          cost: d((rnd() * 80).toFixed(2)),
          fx,
          costFx: fx,
          allocations,
        });
      }
      const { groups, cost, count } = lineLineage(sources);
      const actual = groups.map((g) => ({ ids: [...g.ids], quantity: g.quantity.toString(), cost: g.cost.toString(), price: g.price.toString(), allocated: g.allocated.toString() }));
      expect(actual, `seed ${seed}`).toEqual(expected(sources));
      expect(count).toBe(n);
      expect(cost.toString()).toBe(sources.reduce((acc, s) => acc.plus(s.cost), ZERO).toString());
    }
  });

  it('records the fx as stated, and the identity without its date', () => {
    const base = { ruleId: 'r', cardId: 'c', cardVersion: 1, basis: 'cost' as const, quantity: d(1), price: d(2), cost: d(1), lineCount: 1, groupKey: null };
    const alloc = (lineId: string): Allocation[] => [{ lineId, costNodeId: 'n', ruleId: null, ruleVersion: null, percent: d(100), amount: d(2) }];
    const sources: InvoiceLineSource[] = [];
    sources.push({ ...base, lineId: 'u:1', fx: { from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-01', rateId: null }, costFx: { from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-01', rateId: null }, allocations: alloc('u:1') });
    sources.push({ ...base, lineId: 'u:2', fx: { from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-02', rateId: null }, costFx: { from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-02', rateId: null }, allocations: alloc('u:2') });
    const { groups } = lineLineage(sources);
    expect(groups).toHaveLength(1);
    expect(JSON.parse(groups[0]!.costFx)).toEqual({ from: 'USD', to: 'USD', rate: '1', source: 'identity', rateDate: null, rateId: null });
    expect([...groups[0]!.ids]).toEqual([1, 2]);
    expect(groups[0]!.allocated.toString()).toBe('4');
  });

  it('traces a group of usage lines by its key and counts its lines, in rows apart from single lines', () => {
    const fx: FxUsed = { from: 'USD', to: 'USD', rate: d(1), source: 'identity', rateDate: '2026-10-01', rateId: null };
    const base = { ruleId: 'r', cardId: 'c', cardVersion: 1, basis: 'cost' as const, quantity: d(30), price: d(3), cost: d(2), fx, costFx: fx };
    const alloc = (lineId: string): Allocation[] => [{ lineId, costNodeId: 'n', ruleId: null, ruleVersion: null, percent: d(100), amount: d(3) }];
    const { groups, count, cost } = lineLineage([
      { ...base, lineId: 'u:1', lineCount: 30, groupKey: 'k1', allocations: alloc('u:1') },
      { ...base, lineId: 'u:40', lineCount: 12, groupKey: 'k2', allocations: alloc('u:40') },
      { ...base, lineId: 'u:99', lineCount: 1, groupKey: null, allocations: alloc('u:99') },
    ]);
    expect(groups.map((g) => [g.groupKeys, g.ids, g.lineCount, g.price.toString()])).toEqual([
      [['k1', 'k2'], [], 42, '6'],
      [[], [99], 1, '3'],
    ]);
    expect(count).toBe(43);
    expect(cost.toString()).toBe('6');
  });
});
