import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import {
  MINOR_UNITS,
  floorTo,
  floorToCent,
  isWholeMinorUnits,
  minorUnit,
  minorUnits,
  roundMoney,
  roundToMinorUnit,
  roundPartsToTarget,
} from '../../../src/engine/money.ts';
import { d, expectDecimal } from './fixtures.ts';

describe('minorUnits', () => {
  it.each([
    ['USD', 2], ['EUR', 2], ['GBP', 2], ['CAD', 2], ['AUD', 2], ['NZD', 2], ['CHF', 2], ['SEK', 2],
    ['NOK', 2], ['DKK', 2], ['INR', 2], ['ZAR', 2], ['BRL', 2], ['MXN', 2], ['SGD', 2], ['HKD', 2],
    ['JPY', 0], ['KRW', 0],
    ['BHD', 3], ['KWD', 3], ['JOD', 3], ['OMR', 3], ['TND', 3],
  ])('%s has %i decimal places (ISO 4217)', (currency, places) => {
    expect(minorUnits(currency)).toBe(places);
    expect(MINOR_UNITS[currency]).toBe(places);
  });

  it('matches the code case-insensitively', () => {
    expect(minorUnits('usd')).toBe(2);
    expect(minorUnits('jpy')).toBe(0);
  });

  it('rejects an unknown currency with an error naming it', () => {
    expect(() => minorUnits('XYZ')).toThrow(EngineError);
    expect(() => minorUnits('XYZ')).toThrow(/Unknown currency "XYZ"/);
    try {
      minorUnits('XYZ');
    } catch (e) {
      expect((e as EngineError).code).toBe('unknown_currency');
      expect((e as EngineError).details).toEqual({ currency: 'XYZ' });
    }
  });

  it('gives the smallest amount of a currency', () => {
    expectDecimal(minorUnit('USD'), '0.01');
    expectDecimal(minorUnit('JPY'), '1');
    expectDecimal(minorUnit('BHD'), '0.001');
  });
});

describe('roundToMinorUnit', () => {
  it.each([
    // amount, currency, mode, expected — the tie cases show the two modes apart
    ['2.345', 'USD', 'half_up', '2.35'], // tie → away from zero
    ['2.345', 'USD', 'half_even', '2.34'], // tie → even digit 4
    ['2.355', 'USD', 'half_even', '2.36'], // tie → even digit 6
    ['-2.345', 'USD', 'half_up', '-2.35'], // a credit mirrors the charge
    ['-2.345', 'USD', 'half_even', '-2.34'],
    ['2.344999', 'USD', 'half_up', '2.34'], // not a tie
    ['112.2580645161290322580645', 'EUR', 'half_up', '112.26'], // 3480 ÷ 31
    ['1234.5', 'JPY', 'half_up', '1235'], // JPY has no minor unit
    ['1234.5', 'JPY', 'half_even', '1234'],
    ['1235.5', 'JPY', 'half_even', '1236'],
    ['1.2345', 'BHD', 'half_up', '1.235'], // BHD has three places
    ['1.2345', 'BHD', 'half_even', '1.234'],
    ['0.0005', 'KWD', 'half_up', '0.001'],
  ] as const)('%s %s %s → %s', (amount, currency, mode, expected) => {
    expectDecimal(roundToMinorUnit(d(amount), currency, mode), expected);
  });

  it('rejects an unknown rounding mode', () => {
    expect(() => roundToMinorUnit(d('1'), 'USD', 'up' as never)).toThrow(/Unknown rounding mode/);
    expect(() => roundMoney([d('1')], { currency: 'USD', scope: 'line', mode: 'up' as never })).toThrow(/Unknown rounding mode/);
    expect(() => roundMoney([d('1')], { currency: 'USD', scope: 'source' as never, mode: 'half_up' })).toThrow(/Unknown rounding scope/);
  });
});

describe('roundMoney: the invoice rounding, by scope', () => {
  it("scope 'line': each invoice line rounded, total = Σ rounded lines, no difference", () => {
    // 0.125 → 0.13, 0.125 → 0.13, 0.004 → 0.00: total 0.26 (the exact 0.254 would round to 0.25)
    const r = roundMoney([d('0.125'), d('0.125'), d('0.004')], { currency: 'USD', scope: 'line', mode: 'half_up' });
    expect(r.lines.map(String)).toEqual(['0.13', '0.13', '0']);
    expectDecimal(r.total, '0.26');
    expectDecimal(r.difference, '0');
  });

  it("scope 'invoice': lines shown rounded, the exact total rounded once, the difference shown", () => {
    // same lines: shown 0.13 + 0.13 + 0.00 = 0.26; exact 0.254 → 0.25; difference −0.01
    const r = roundMoney([d('0.125'), d('0.125'), d('0.004')], { currency: 'USD', scope: 'invoice', mode: 'half_up' });
    expect(r.lines.map(String)).toEqual(['0.13', '0.13', '0']);
    expectDecimal(r.total, '0.25');
    expectDecimal(r.difference, '-0.01');
  });

  it('rounds in the currency and mode given: JPY half-even', () => {
    // 0.5 → 0, 1.5 → 2, 2.5 → 2: Σ 4; exact 4.5 → 4 (even)
    const r = roundMoney([d('0.5'), d('1.5'), d('2.5')], { currency: 'JPY', scope: 'invoice', mode: 'half_even' });
    expect(r.lines.map(String)).toEqual(['0', '2', '2']);
    expectDecimal(r.total, '4');
    expectDecimal(r.difference, '0');
  });
});

describe('floorTo (Microsoft ROUNDDOWN / FLOOR)', () => {
  it.each([
    ['112.896', 2, '112.89'], // Microsoft's table: 9.408 × 12 = 112.896 → 112.89
    ['16.284', 2, '16.28'], // 0.7375 × 24 × 0.92 = 16.284 → 16.28
    ['9.408', 2, '9.40'], // the Subtotal formula truncates the unit price first
    ['10.32774152', 2, '10.32'], // 11.225806 × 0.92
    ['154.99', 0, '154'],
    ['1.0009', 3, '1.000'],
  ] as const)('ROUNDDOWN(%s, %i) = %s', (amount, places, expected) => {
    expectDecimal(floorTo(d(amount), places), expected);
  });

  it('moves a credit toward zero, so a refund credits exactly what its charge billed', () => {
    // ROUNDDOWN(−94.088, 2) = −94.08 (toward zero); a mathematical floor would give −94.09
    expectDecimal(floorTo(d('-94.088'), 2), '-94.08');
    expectDecimal(floorTo(d('-94.088'), 2).negated(), floorTo(d('94.088'), 2).toString());
    // −0.009 truncates to zero, not to −0.01
    expect(floorTo(d('-0.009'), 2).isZero()).toBe(true);
  });

  it('floorToCent is floorTo(…, 2)', () => {
    expectDecimal(floorToCent(d('-9.408')), '-9.40');
    expectDecimal(floorToCent(d('9.409999')), '9.40');
  });

  it('rejects places that are not whole and non-negative', () => {
    expect(() => floorTo(d('1.5'), -1)).toThrow(EngineError);
    expect(() => floorTo(d('1.5'), 1.5)).toThrow(EngineError);
  });
});

describe('isWholeMinorUnits', () => {
  it.each([
    ['1.23', 'USD', true],
    ['1.234', 'USD', false],
    ['1.234', 'BHD', true],
    ['100', 'JPY', true],
    ['100.5', 'JPY', false],
  ] as const)('%s %s → %s', (amount, currency, expected) => {
    expect(isWholeMinorUnits(d(amount), currency)).toBe(expected);
  });
});

describe('roundPartsToTarget (largest remainder)', () => {
  it('gives the missing cent to the largest remainder', () => {
    // exact parts 33.3333, 33.3333, 33.3334 → floors 33.33 × 3 = 99.99; 1 cent missing;
    // remainders .0033, .0033, .0034 → the third gets it
    const parts = roundPartsToTarget([d('33.3333'), d('33.3333'), d('33.3334')], d('100.00'), d('0.01'));
    expect(parts.map(String)).toEqual(['33.33', '33.33', '33.34']);
  });

  it('breaks a tie in favour of the earlier part', () => {
    // 100 ÷ 3 = 33.333… each; floors 33.33 × 3 = 99.99; equal remainders → the first gets the cent
    const third = new Decimal(100).div(3);
    const parts = roundPartsToTarget([third, third, third], d('100'), d('0.01'));
    expect(parts.map(String)).toEqual(['33.34', '33.33', '33.33']);
  });

  it('handles units below the cent', () => {
    // 0.005, 0.004, 0.001 → floors 0, 0, 0; 1 cent missing → the 0.005 part
    const parts = roundPartsToTarget([d('0.005'), d('0.004'), d('0.001')], d('0.01'), d('0.01'));
    expect(parts.map(String)).toEqual(['0.01', '0', '0']);
  });

  it('refuses a target the parts cannot reach', () => {
    // floors 1 + 1 = 2; target 5 would need 3 extra units for 2 parts
    expect(() => roundPartsToTarget([d(1), d(1)], d(5), d(1))).toThrow(EngineError);
  });
});
