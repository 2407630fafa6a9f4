import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import { seatDrift } from '../../src/engine/seat-drift.ts';

const d = (v: string) => new Decimal(v);

describe('seat drift', () => {
  it('is nothing when the counts agree', () => {
    expect(seatDrift(d('25'), d('25'), d('21'), 'USD')).toBeNull();
  });

  it('prices the difference at one seat a month, signed towards Microsoft', () => {
    // 28 − 25 = 3 seats × 21.00 = 63.00
    const more = seatDrift(d('28'), d('25'), d('21'), 'USD')!;
    expect([more.difference.toString(), more.moneyAtStake.toFixed(2)]).toEqual(['3', '63.00']);
    // 10 − 12 = −2 seats × 34.20 = 68.40 either way
    const fewer = seatDrift(d('10'), d('12'), d('34.2'), 'USD')!;
    expect([fewer.difference.toString(), fewer.moneyAtStake.toFixed(2)]).toEqual(['-2', '68.40']);
  });

  it("rounds to the currency's minor unit, half up", () => {
    // 3 × 7.335 = 22.005 → 22.01; 3 × 1234.5 JPY = 3703.5 → 3704
    expect(seatDrift(d('4'), d('1'), d('7.335'), 'EUR')!.moneyAtStake.toFixed(2)).toBe('22.01');
    expect(seatDrift(d('4'), d('1'), d('1234.5'), 'JPY')!.moneyAtStake.toString()).toBe('3704');
  });
});
