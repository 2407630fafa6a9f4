import { describe, expect, it } from 'vitest';
import { Decimal, ZERO } from '../../../src/engine/decimal.ts';
import { DecimalSum } from '../../../src/engine/decimal-sum.ts';
import { seededRandom } from './fixtures.ts';

// DecimalSum must be `plus`, one by one, digit for digit (sign of zero included), on the
// amounts a close adds: cents, four- and six-decimal prices, 40-digit unrounded prices,
// credits, zeros, huge and tiny magnitudes, and sums that outgrow 40 digits.

const exactText = (v: Decimal) => `${v.isNegative() ? '-' : ''}${v.abs().toString()}`;

function sequential(values: readonly Decimal[]): Decimal {
  let total = ZERO;
  for (const v of values) total = total.plus(v);
  return total;
}

describe('DecimalSum', () => {
  it('equals plus one by one on 2,000 seeded random lists', () => {
    for (let seed = 1; seed <= 2000; seed += 1) {
      const rnd = seededRandom(seed);
      const kind = Math.floor(rnd() * 6);
      const values: Decimal[] = [];
      const n = Math.floor(rnd() * 60);
      for (let i = 0; i < n; i += 1) {
        const sign = rnd() < 0.2 ? '-' : '';
        const digits = (count: number) => Array.from({ length: count }, () => Math.floor(rnd() * 10)).join('');
        const text =
          kind === 0 ? `${sign}${Math.floor(rnd() * 10000)}.${digits(2)}` // cents
            : kind === 1 ? `${sign}${Math.floor(rnd() * 100)}.${digits(Math.floor(rnd() * 8))}` // prices
              : kind === 2 ? `${sign}${digits(1 + Math.floor(rnd() * 6))}.${digits(30 + Math.floor(rnd() * 10))}` // 40-digit unrounded prices
                : kind === 3 ? `${sign}${digits(1)}e${Math.floor(rnd() * 60) - 30}` // far apart magnitudes
                  : kind === 4 ? (rnd() < 0.3 ? (rnd() < 0.5 ? '0' : '-0') : `${sign}${Math.floor(rnd() * 1e6)}.${digits(3)}`) // zeros
                    : `${sign}${digits(15)}${digits(Math.floor(rnd() * 30))}.${digits(Math.floor(rnd() * 12))}`; // big
        values.push(new Decimal(text));
      }
      // Credits that cancel exactly, now and then.
      if (n > 0 && rnd() < 0.2) values.push(...values.map((v) => v.negated()).reverse());
      const sum = new DecimalSum();
      for (const v of values) sum.add(v);
      expect(exactText(sum.value()), `seed ${seed} kind ${kind}`).toBe(exactText(sequential(values)));
    }
  });

  it('adds absolute values, and gives a new zero for nothing added', () => {
    expect(new DecimalSum().addAbs(new Decimal('-1.25')).addAbs(new Decimal('2.5')).value().toString()).toBe('3.75');
    expect(new DecimalSum().value().toString()).toBe('0');
    expect(new DecimalSum().value().isNegative()).toBe(false);
  });

  it('keeps every digit when asked for the exact sum', () => {
    const sum = new DecimalSum({ exact: true });
    sum.add(new Decimal('1e30')).add(new Decimal('0.000000000000000000000000000001'));
    expect(sum.value().toString()).toBe('1000000000000000000000000000000.000000000000000000000000000001');
    const rounded = new DecimalSum().add(new Decimal('1e30')).add(new Decimal('0.000000000000000000000000000001'));
    expect(rounded.value().toString()).toBe(new Decimal('1e30').plus('1e-30').toString());
  });
});
