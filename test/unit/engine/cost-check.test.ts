import { describe, expect, it } from 'vitest';
import {
  checkCost,
  recomputeCost,
  seatLicenseSubtotal,
  usageBillingPreTaxTotal,
  usageLicenseSubtotal,
} from '../../../src/engine/cost-check.ts';
import { d, expectDecimal, licenseLine, usageLine } from './fixtures.ts';

describe('usage line: BillingPreTaxTotal = FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2)', () => {
  it("reproduces Microsoft's composed example", () => {
    // 0.7375 × 24 = 17.70; × 0.92 = 16.284 → FLOOR → 16.28 EUR
    expectDecimal(usageBillingPreTaxTotal(d('0.7375'), d('24'), d('0.92')), '16.28');
  });

  it('floors, never rounds up', () => {
    // 0.0123456 × 1000 = 12.3456; × 1.1 = 13.58016 → 13.58
    expectDecimal(usageBillingPreTaxTotal(d('0.0123456'), d('1000'), d('1.1')), '13.58');
    // 0.3333 × 3 = 0.9999; × 1 = 0.9999 → 0.99 (half-up would give 1.00)
    expectDecimal(usageBillingPreTaxTotal(d('0.3333'), d('3'), d('1')), '0.99');
  });

  it('reports nothing when Microsoft billed what the formula gives', () => {
    const line = usageLine({ effectiveUnitPrice: d('0.7375'), quantity: d('24'), pcToBCExchangeRate: d('0.92'), cost: d('16.28') });
    expect(checkCost([line])).toEqual([]);
  });

  it('reports a difference without changing the vendor figure', () => {
    const line = usageLine({ id: 'u-off', effectiveUnitPrice: d('0.7375'), quantity: d('24'), pcToBCExchangeRate: d('0.92'), cost: d('16.29') });
    const [finding, ...rest] = checkCost([line]);
    expect(rest).toEqual([]);
    expect(finding?.lineId).toBe('u-off');
    expect(finding?.field).toBe('BillingPreTaxTotal');
    expect(finding?.formula).toBe('FLOOR(EffectiveUnitPrice × Quantity × PCToBCExchangeRate, 2)');
    expectDecimal(finding?.microsoft, '16.29');
    expectDecimal(finding?.recomputed, '16.28');
    expectDecimal(finding?.difference, '0.01'); // 16.29 − 16.28
    expectDecimal(line.cost, '16.29'); // untouched
  });
});

describe('seat licence: Subtotal = ROUNDDOWN(EffectiveUnitPrice × PCToBCExchangeRate, 2) × BillableQuantity', () => {
  it("reproduces Microsoft's addQuantity example", () => {
    // 12 ÷ 31 × 29 = 11.225806; × 0.92 = 10.32774152 → 10.32; × 15 = 154.80
    expectDecimal(seatLicenseSubtotal(d('11.225806'), d('15'), d('0.92')), '154.80');
    const line = licenseLine({ effectiveUnitPrice: d('11.225806'), quantity: d('15'), pcToBCExchangeRate: d('0.92'), cost: d('154.80') });
    expect(checkCost([line])).toEqual([]);
  });

  it("flags Microsoft's table rounding (EUP × quantity truncated) against the formula", () => {
    // table: 9.408 × 12 = 112.896 → 112.89; formula: ROUNDDOWN(9.408 × 1, 2) = 9.40 × 12 = 112.80
    const line = licenseLine({ id: 'l-table', effectiveUnitPrice: d('9.408'), quantity: d('12'), cost: d('112.89') });
    const [finding] = checkCost([line]);
    expect(finding?.field).toBe('Subtotal');
    expectDecimal(finding?.recomputed, '112.80');
    expectDecimal(finding?.difference, '0.09'); // 112.89 − 112.80
  });

  it('truncates a refund toward zero', () => {
    // ROUNDDOWN(−9.408 × 1, 2) = −9.40 (toward zero); × 10 = −94.00. Microsoft's table shows −94.08.
    const line = licenseLine({ effectiveUnitPrice: d('-9.408'), quantity: d('10'), cost: d('-94.08') });
    const [finding] = checkCost([line]);
    expectDecimal(finding?.recomputed, '-94.00');
    expectDecimal(finding?.difference, '-0.08'); // −94.08 − (−94.00)
  });

  it("reproduces Microsoft's cancelImmediate example", () => {
    // 10.08 ÷ 31 × 29 = 9.429677…; refund EUP −9.429677 → ROUNDDOWN → −9.42; × 10 = −94.20
    const line = licenseLine({ chargeType: 'cancelImmediate', effectiveUnitPrice: d('-9.429677'), quantity: d('10'), cost: d('-94.20') });
    expect(checkCost([line])).toEqual([]);
  });
});

describe('usage-based licence: Subtotal = ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2)', () => {
  it('truncates twice', () => {
    // 0.737586 × 29 = 21.389994 → 21.38; × 0.92 = 19.6696 → 19.66
    expectDecimal(usageLicenseSubtotal(d('0.737586'), d('29'), d('0.92')), '19.66');
  });

  it('shows a one-cent difference on the PEC example, and a tolerance can accept it', () => {
    // Microsoft: BC = ROUNDDOWN(29 × 0.868 × 0.85, 2) = ROUNDDOWN(21.3962, 2) = 21.39; EUP = 21.39 ÷ 29 = 0.737586 (6 dp)
    // formula from the 6-dp EUP: 0.737586 × 29 = 21.389994 → 21.38; × 1 → 21.38 → difference 0.01
    const line = licenseLine({ id: 'l-pec', pricingModel: 'usage', effectiveUnitPrice: d('0.737586'), quantity: d('29'), cost: d('21.39') });
    expect(recomputeCost(line).formula).toBe('ROUNDDOWN(ROUNDDOWN(EffectiveUnitPrice × BillableQuantity, 2) × PCToBCExchangeRate, 2)');
    const [finding] = checkCost([line]);
    expectDecimal(finding?.difference, '0.01');
    expect(checkCost([line], { tolerance: d('0.01') })).toEqual([]);
  });
});

describe('checkCost', () => {
  it('keeps input order and reports only the lines that differ', () => {
    const lines = [
      usageLine({ id: 'a', effectiveUnitPrice: d('1'), quantity: d('3'), cost: d('3.01') }), // 1 × 3 × 1 = 3.00 → Δ 0.01
      usageLine({ id: 'b', effectiveUnitPrice: d('1'), quantity: d('3'), cost: d('3.00') }), // matches
      licenseLine({ id: 'c', effectiveUnitPrice: d('2.5'), quantity: d('4'), cost: d('9.00') }), // 2.50 × 4 = 10.00 → Δ −1.00
    ];
    const findings = checkCost(lines);
    expect(findings.map((f) => f.lineId)).toEqual(['a', 'c']);
    expectDecimal(findings[1]?.difference, '-1.00');
  });
});
