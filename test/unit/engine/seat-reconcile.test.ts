import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { reconcileSeats, type SeatReconcileInput } from '../../../src/engine/seat-reconcile.ts';

const asOf = new Date('2026-12-01T06:00:00Z');
const BP = 'CFQ7TTC0LCHC:0002';
const E3 = 'CFQ7TTC0LFLX:0001';
const base: SeatReconcileInput = {
  microsoft: [],
  psa: [],
  productOf: new Map([[BP, 'M365-BP'], [E3, 'M365-E3']]),
  approvedPrice: new Map(),
  defaultAgreementId: '501',
};
const kinds = (input: Partial<SeatReconcileInput>) => reconcileSeats({ ...base, ...input }).map((t) => [t.kind, t.sku, t.microsoftQuantity, t.psaQuantity]);
const ms = (sku: string, quantity: number) => ({ sku, quantity, asOf, requestedBy: null });
const line = (product: string, quantity: number, lineId = '7001', unitPrice = '22') => ({ agreementId: '501', lineId, product, quantity, unitPrice: new Decimal(unitPrice) });

describe('reconcileSeats', () => {
  it('proposes an increase or a decrease when the counts differ, and nothing when they agree', () => {
    expect(kinds({ microsoft: [ms(BP, 25)], psa: [line('M365-BP', 20)] })).toEqual([['increase', BP, 25, 20]]);
    expect(kinds({ microsoft: [ms(BP, 18)], psa: [line('M365-BP', 20)] })).toEqual([['decrease', BP, 18, 20]]);
    expect(kinds({ microsoft: [ms(BP, 20)], psa: [line('M365-BP', 20)] })).toEqual([]);
  });

  it('adds up several PSA lines of one product', () => {
    expect(kinds({ microsoft: [ms(BP, 25)], psa: [line('M365-BP', 20), line('M365-BP', 5, '7009')] })).toEqual([]);
  });

  it('names a product the PSA does not bill, and one still billed after Microsoft cancelled it', () => {
    expect(kinds({ microsoft: [ms(E3, 3)] })).toEqual([['missing_product', E3, 3, null]]);
    expect(kinds({ microsoft: [ms(BP, 0)], psa: [line('M365-BP', 20)] })).toEqual([['cancelled_in_microsoft', BP, 0, 20]]);
    expect(kinds({ psa: [line('M365-BP', 20)] })).toEqual([['cancelled_in_microsoft', BP, 0, 20]]);
  });

  it('flags a price that differs from the approved rate card only when the counts agree', () => {
    const approvedPrice = new Map([[BP, new Decimal('21')]]);
    expect(kinds({ microsoft: [ms(BP, 20)], psa: [line('M365-BP', 20)], approvedPrice })).toEqual([['price_differs', BP, 20, 20]]);
    expect(kinds({ microsoft: [ms(BP, 20)], psa: [line('M365-BP', 20, '7001', '21.00')], approvedPrice })).toEqual([]);
  });

  it('leaves SKUs without a product mapping alone', () => {
    expect(kinds({ microsoft: [ms('OTHER:0001', 4)] })).toEqual([]);
  });
});
