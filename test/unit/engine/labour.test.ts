import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { priceLabour, type LabourEntry } from '../../../src/engine/labour.ts';

const d = (v: string) => new Decimal(v);
const entry = (entryId: string, costNodeId: string | null, hours: string, rate: string | null, billable = true): LabourEntry => ({
  entryId,
  costNodeId,
  billable,
  hoursWorked: d(hours),
  hoursBillable: billable ? d(hours) : d('0'),
  rate: rate === null ? null : d(rate),
});

describe('priceLabour', () => {
  it('charges billable hours at each entry’s own rate, per engagement, to the cent', () => {
    // By hand: migration 10 h × 150 = 1,500.00; 2.5 h × 185 = 462.50 → 1,962.50.
    // Support (no project): 0.75 h × 150 = 112.50; 1 h non-billable is reported only.
    const result = priceLabour(
      [entry('1', 'node-a', '10', '150'), entry('2', 'node-a', '2.5', '185'), entry('3', null, '0.75', '150'), entry('4', null, '1', '150', false)],
      'USD',
    );
    expect(result.engagements.map((e) => [e.costNodeId, e.amount.toFixed(2), e.billableHours.toString(), e.nonBillableHours.toString(), e.billableEntryIds, e.nonBillableEntryIds])).toEqual([
      ['node-a', '1962.50', '12.5', '0', ['1', '2'], []],
      [null, '112.50', '0.75', '1', ['3'], ['4']],
    ]);
    expect(result.total.toFixed(2)).toBe('2075.00');
  });

  it('rounds once per engagement, not per entry', () => {
    // 3 × (0.333 h × 100.01) = 3 × 33.30333 = 99.90999 → 99.91; per entry it would be 3 × 33.30 = 99.90.
    const result = priceLabour([entry('1', 'n', '0.333', '100.01'), entry('2', 'n', '0.333', '100.01'), entry('3', 'n', '0.333', '100.01')], 'USD');
    expect(result.engagements[0]!.exactAmount.toString()).toBe('99.90999');
    expect(result.total.toFixed(2)).toBe('99.91');
  });

  it('refuses a billable entry without a rate', () => {
    expect(() => priceLabour([entry('9', 'n', '1', null)], 'USD')).toThrow(/entry 9 is billable but has no rate/);
  });
});
