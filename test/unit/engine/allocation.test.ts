import { describe, expect, it } from 'vitest';
import { allocate, rollUp, splitExactly, tagCompliance, tagKeysOf } from '../../../src/engine/allocation.ts';
import { LINES_NAMED } from '../../../src/engine/counted-list.ts';
import { Decimal, sum } from '../../../src/engine/decimal.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { minorUnits } from '../../../src/engine/money.ts';
import type { AllocatableLine, Allocation, AllocationRule, AllocationSplit, CostNode } from '../../../src/engine/types.ts';
import { d, expectDecimal, seededRandom } from './fixtures.ts';

const split = (costNodeId: string, percent: string): AllocationSplit => ({ costNodeId, percent: d(percent) });

function line(overrides: Partial<AllocatableLine> = {}): AllocatableLine {
  return { id: 'u1', amount: d('100.00'), currency: 'USD', tags: {}, resourceGroup: 'rg-erp-prod', subscriptionId: 'azure-sub-1', meterCategory: 'Virtual Machines', ...overrides };
}

function rule(id: string, priority: number, match: AllocationRule['match'], splits: AllocationSplit[]): AllocationRule {
  return { id, version: 2, priority, match, splits };
}

const amounts = (allocations: Allocation[]): string[] => allocations.map((a) => a.amount.toString());

describe('splitExactly (largest remainder at the minor unit)', () => {
  it('splits 60/40 exactly', () => {
    // 100.00 × 60 % = 60.00; × 40 % = 40.00
    expect(splitExactly(d('100.00'), [split('a', '60'), split('b', '40')], 'USD').map(String)).toEqual(['60', '40']);
  });

  it('gives the odd cent to the largest remainder', () => {
    // 100.00 × 33.33 % = 33.33; × 33.33 % = 33.33; × 33.34 % = 33.34 — exact, no remainder
    expect(splitExactly(d('100.00'), [split('a', '33.33'), split('b', '33.33'), split('c', '33.34')], 'USD').map(String)).toEqual(['33.33', '33.33', '33.34']);
    // 10.00 × 33.33 % = 3.333 → 3.33; × 33.33 % = 3.333 → 3.33; × 33.34 % = 3.334 → 3.33; 0.01 missing;
    // remainders 0.003, 0.003, 0.004 → the third gets it: 3.33 + 3.33 + 3.34 = 10.00
    expect(splitExactly(d('10.00'), [split('a', '33.33'), split('b', '33.33'), split('c', '33.34')], 'USD').map(String)).toEqual(['3.33', '3.33', '3.34']);
  });

  it('breaks a tie in favour of the split listed first', () => {
    // 0.01 × 50 % = 0.005 each → 0.00 each, 0.01 missing, equal remainders → first
    expect(splitExactly(d('0.01'), [split('a', '50'), split('b', '50')], 'USD').map(String)).toEqual(['0.01', '0']);
    // 0.01 × 50 % = 0.005 → 0; × 25 % = 0.0025 → 0; × 25 % → 0; the 0.005 remainder is largest
    expect(splitExactly(d('0.01'), [split('a', '25'), split('b', '50'), split('c', '25')], 'USD').map(String)).toEqual(['0', '0.01', '0']);
  });

  it('splits at whole yen and at 1/1000 dinar', () => {
    // 100 JPY: 33.33, 33.33, 33.34 → floors 33, 33, 33 = 99; 1 yen to the largest remainder (.34) → 33, 33, 34
    expect(splitExactly(d('100'), [split('a', '33.33'), split('b', '33.33'), split('c', '33.34')], 'JPY').map(String)).toEqual(['33', '33', '34']);
    // 1.000 BHD: 0.3333, 0.3333, 0.3334 → floors 0.333 × 3 = 0.999; 0.001 to the third (remainder 0.0004)
    expect(splitExactly(d('1.000'), [split('a', '33.33'), split('b', '33.33'), split('c', '33.34')], 'BHD').map(String)).toEqual(['0.333', '0.333', '0.334']);
  });

  it('splits an unrounded price at its own precision, still exactly', () => {
    const price = new Decimal(3480).div(31); // 112.2580645161290322580645161290322580645 (37 dp)
    const parts = splitExactly(price, [split('a', '50'), split('b', '50')], 'EUR');
    expect(sum(parts).equals(price)).toBe(true);
    expect(parts[0]?.toDecimalPlaces(10).toString()).toBe('56.1290322581'); // ≈ 3,480 ÷ 62
  });

  it('splits a credit as the mirror image of the charge', () => {
    const splits = [split('a', '33.33'), split('b', '33.33'), split('c', '33.34')];
    expect(splitExactly(d('-10.00'), splits, 'USD').map(String)).toEqual(['-3.33', '-3.33', '-3.34']);
  });
});

describe('allocate', () => {
  const finance60ops40 = rule('rg-erp', 2, { resourceGroup: 'RG-ERP-PROD' }, [split('finance', '60'), split('ops', '40')]);

  it('splits a claimed line by the rule and records rule, version and percent', () => {
    const result = allocate([line()], [finance60ops40], 'unallocated');
    expect(result.map((a) => ({ ...a, percent: a.percent.toString(), amount: a.amount.toString() }))).toEqual([
      { lineId: 'u1', costNodeId: 'finance', ruleId: 'rg-erp', ruleVersion: 2, percent: '60', amount: '60' }, // 100.00 × 60 %
      { lineId: 'u1', costNodeId: 'ops', ruleId: 'rg-erp', ruleVersion: 2, percent: '40', amount: '40' }, // 100.00 × 40 %
    ]);
  });

  it('sends a line no rule claims to the unallocated node, whole', () => {
    const result = allocate([line({ resourceGroup: 'rg-other', amount: d('12.34') })], [finance60ops40], 'unallocated');
    expect(result).toHaveLength(1);
    expect(result[0]).toMatchObject({ costNodeId: 'unallocated', ruleId: null, ruleVersion: null });
    expectDecimal(result[0]?.percent, '100');
    expectDecimal(result[0]?.amount, '12.34');
  });

  it('tries rules in ascending priority, ties by id', () => {
    const byTag = rule('tag-cc', 1, { tag: { key: 'costcenter' } }, [split('from-tag', '100')]);
    const tagged = line({ tags: { CostCenter: 'FIN-01' } });
    expect(allocate([tagged], [finance60ops40, byTag], 'u')[0]?.costNodeId).toBe('from-tag');
    expect(allocate([tagged], [{ ...finance60ops40, priority: 0 }, byTag], 'u')[0]?.ruleId).toBe('rg-erp');
    const sameA = rule('a-rule', 5, { tag: { key: 'costcenter' } }, [split('a', '100')]);
    const sameB = rule('b-rule', 5, { resourceGroup: 'rg-erp-prod' }, [split('b', '100')]);
    expect(allocate([tagged], [sameB, sameA], 'u')[0]?.ruleId).toBe('a-rule');
  });

  it.each([
    ['tag key, case-insensitive', { tag: { key: 'COSTCENTER' } }, line({ tags: { costcenter: 'FIN-01' } }), true],
    ['tag key and exact value', { tag: { key: 'costcenter', value: 'FIN-01' } }, line({ tags: { costcenter: 'FIN-01' } }), true],
    ['tag value is case-sensitive', { tag: { key: 'costcenter', value: 'fin-01' } }, line({ tags: { costcenter: 'FIN-01' } }), false],
    ['a blank tag value is no tag', { tag: { key: 'costcenter' } }, line({ tags: { costcenter: '  ' } }), false],
    ['a missing tag', { tag: { key: 'costcenter' } }, line({ tags: {} }), false],
    ['subscription id, case-insensitive', { subscriptionId: 'AZURE-SUB-1' }, line(), true],
    ['meter category, case-insensitive', { meterCategory: 'virtual machines' }, line(), true],
    ['another meter category', { meterCategory: 'Storage' }, line(), false],
    ['a line without a resource group', { resourceGroup: 'rg-erp-prod' }, line({ resourceGroup: null }), false],
  ] as const)('matches %s → %s', (_name, match, l, claimed) => {
    const result = allocate([l], [rule('r', 1, match as AllocationRule['match'], [split('n', '100')])], 'unallocated');
    expect(result[0]?.costNodeId).toBe(claimed ? 'n' : 'unallocated');
  });

  it.each([
    ['splits that sum to 99.99 %', [rule('r', 1, { resourceGroup: 'x' }, [split('a', '50'), split('b', '49.99')])], /splits sum to 99.99 %, not 100 %/],
    ['a 0 % split', [rule('r', 1, { resourceGroup: 'x' }, [split('a', '100'), split('b', '0')])], /must be more than 0 %/],
    ['a node split twice', [rule('r', 1, { resourceGroup: 'x' }, [split('a', '50'), split('a', '50')])], /splits to a twice/],
    ['no splits', [rule('r', 1, { resourceGroup: 'x' }, [])], /has no splits/],
    ['a duplicate rule id', [rule('r', 1, { resourceGroup: 'x' }, [split('a', '100')]), rule('r', 2, { resourceGroup: 'y' }, [split('a', '100')])], /id is used twice/],
  ] as const)('rejects %s', (_name, rules, message) => {
    expect(() => allocate([line()], rules, 'u')).toThrow(EngineError);
    expect(() => allocate([line()], rules, 'u')).toThrow(message);
  });
});

describe('allocate: property checks (fixed seed, 600 generated lines)', () => {
  it('parts always sum exactly to the line, are whole units and within one unit of the exact share', () => {
    const random = seededRandom(20261124);
    const currencies = ['USD', 'JPY', 'BHD', 'EUR'];
    const int = (n: number): number => Math.floor(random() * n);
    for (let i = 0; i < 600; i += 1) {
      const currency = currencies[int(currencies.length)] as string;
      // amount: whole minor units, or an unrounded price with up to 12 decimals; either sign
      const places = int(3) === 0 ? minorUnits(currency) + 1 + int(10) : minorUnits(currency);
      const units = BigInt(int(1_000_000_000)) * BigInt(1 + int(1000));
      const amount = new Decimal(units.toString()).div(new Decimal(10).pow(places)).times(int(5) === 0 ? -1 : 1);
      // splits: 1–7 nodes with percents in basis points (0.01 %) summing to exactly 10,000
      const count = 1 + int(7);
      const cuts = Array.from({ length: count - 1 }, () => 1 + int(9_999)).sort((a, b) => a - b);
      const bounds = [0, ...cuts, 10_000];
      const splits = bounds.slice(1).map((b, k) => split(`n${k}`, new Decimal(b - (bounds[k] ?? 0)).div(100).toString()));
      if (splits.some((s) => s.percent.isZero())) continue;

      const l = line({ id: `g${i}`, amount, currency });
      const result = allocate([l], [rule('r', 1, { resourceGroup: 'rg-erp-prod' }, splits)], 'unallocated');
      const unit = new Decimal(10).pow(-Math.max(minorUnits(currency), amount.decimalPlaces()));
      expect(sum(result.map((a) => a.amount)).equals(amount), `case ${i}: ${amount} in ${currency}`).toBe(true);
      for (const [k, a] of result.entries()) {
        expect(a.amount.div(unit).isInteger(), `case ${i}: part ${a.amount} is not a multiple of ${unit}`).toBe(true);
        const exact = amount.times(splits[k]?.percent ?? 0).div(100);
        expect(a.amount.minus(exact).abs().lessThan(unit), `case ${i}: part ${a.amount} vs exact ${exact}`).toBe(true);
      }
      expect(amounts(allocate([l], [rule('r', 1, { resourceGroup: 'rg-erp-prod' }, splits)], 'unallocated'))).toEqual(amounts(result));
    }
  });
});

describe('rollUp', () => {
  const tree: CostNode[] = [
    { id: 'acme', parentId: null },
    { id: 'finance', parentId: 'acme' },
    { id: 'project-a', parentId: 'finance' },
    { id: 'ops', parentId: 'acme' },
    { id: 'unallocated', parentId: null },
  ];
  const alloc = (costNodeId: string, amount: string): Allocation => ({ lineId: 'x', costNodeId, ruleId: 'r', ruleVersion: 1, percent: d(100), amount: d(amount) });

  it('sums each node and its descendants', () => {
    const result = rollUp([alloc('project-a', '30.00'), alloc('finance', '20.00'), alloc('ops', '50.00'), alloc('unallocated', '5.00'), alloc('project-a', '-2.50')], tree);
    expect(result.map((r) => [r.costNodeId, r.direct.toString(), r.total.toString()])).toEqual([
      ['acme', '0', '97.5'], // 27.50 + 20.00 + 50.00
      ['finance', '20', '47.5'], // 20.00 + project-a 27.50
      ['project-a', '27.5', '27.5'], // 30.00 − 2.50
      ['ops', '50', '50'],
      ['unallocated', '5', '5'],
    ]);
  });

  it('rejects allocations to a node outside the tree, unknown parents, cycles and duplicates', () => {
    expect(() => rollUp([alloc('nowhere', '1')], tree)).toThrow(/goes to cost node nowhere, which is not in the tree/);
    expect(() => rollUp([], [{ id: 'a', parentId: 'ghost' }])).toThrow(/unknown parent ghost/);
    expect(() => rollUp([], [{ id: 'a', parentId: 'b' }, { id: 'b', parentId: 'a' }])).toThrow(/in a cycle/);
    expect(() => rollUp([], [{ id: 'a', parentId: null }, { id: 'a', parentId: null }])).toThrow(/appears twice/);
  });
});

describe('tagCompliance', () => {
  const lines = [
    line({ id: 'u1', amount: d('60.00'), tags: { CostCenter: 'FIN', project: 'erp' } }),
    line({ id: 'u2', amount: d('30.00'), tags: { costcenter: 'FIN' } }),
    line({ id: 'u3', amount: d('-10.00'), tags: { costcenter: 'OPS', Project: 'crm' } }),
    line({ id: 'u4', amount: d('0.00'), tags: { costcenter: 'OPS', project: ' ' } }),
  ];

  it('is the share of cost (absolute amounts) carrying every required tag', () => {
    const result = tagCompliance(lines, ['costcenter', 'project']);
    // total |60| + |30| + |−10| + |0| = 100; compliant u1 + u3 = 60 + 10 = 70; share 70 ÷ 100 = 0.7
    expectDecimal(result.totalAmount, '100');
    expectDecimal(result.compliantAmount, '70');
    expectDecimal(result.share, '0.7');
    expect(result.nonCompliantLineIds).toEqual(['u2', 'u4']);
    expect(result.nonCompliantLines).toBe(2);
  });

  it('counts every non-compliant line and names the first LINES_NAMED', () => {
    // 1,500 lines of 1.00, every third one tagged: 500 compliant (share 500 ÷ 1,500), 1,000 not; then 5 more untagged.
    const many = Array.from({ length: LINES_NAMED * 1.5 + 5 }, (_, i) =>
      line({ id: `u:${i}`, amount: d('1.00'), tags: i % 3 === 0 && i < 1500 ? { costcenter: 'FIN' } : {} }),
    );
    const result = tagCompliance(many, ['costcenter']);
    expectDecimal(result.totalAmount, '1505');
    expectDecimal(result.compliantAmount, '500');
    expect(result.nonCompliantLines).toBe(1005);
    expect(result.nonCompliantLineIds).toHaveLength(LINES_NAMED);
    expect(result.nonCompliantLineIds.slice(0, 3)).toEqual(['u:1', 'u:2', 'u:4']);
    expect(result.nonCompliantLineIds.at(-1)).toBe('u:1499');
  });

  it('has no share when there is no cost', () => {
    expect(tagCompliance([], ['costcenter']).share).toBeNull();
  });
});

describe('tagKeysOf', () => {
  it('lists the distinct tag keys the rules match on, case-insensitively, first spelling kept', () => {
    const rules = [
      { match: { tag: { key: 'project', value: 'web' } } },
      { match: { resourceGroup: 'rg-data' } },
      { match: { tag: { key: 'CostCenter' } } },
      { match: { tag: { key: 'PROJECT' } } },
    ];
    expect(tagKeysOf(rules)).toEqual(['project', 'CostCenter']);
    expect(tagKeysOf([{ match: { meterCategory: 'Storage' } }])).toEqual([]);
  });
});
