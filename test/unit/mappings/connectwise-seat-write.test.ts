import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { seatWriteFor } from '../../../src/mappings/connectwise/seat-write.ts';

// The PATCH body shape is ConnectWise's (top-level, case-sensitive paths; test/fixtures/vendor/connectwise.json).
const todo = { agreementId: '501', lineId: '7001', product: 'M365-BP', microsoftQuantity: 25, approvedUnitPrice: null };

describe('seatWriteFor', () => {
  it('patches the quantity for an increase or a decrease', () => {
    for (const kind of ['increase', 'decrease'] as const) {
      expect(seatWriteFor({ ...todo, kind }, '2026-12-07')).toEqual({
        method: 'PATCH',
        path: 'finance/agreements/501/additions/7001',
        operations: [{ op: 'replace', path: 'quantity', value: 25 }],
      });
    }
  });

  it('adds a missing product to the agreement, effective today, at the approved price when there is one', () => {
    expect(seatWriteFor({ ...todo, kind: 'missing_product', lineId: null, approvedUnitPrice: new Decimal('21.5') }, '2026-12-07')).toEqual({
      method: 'POST',
      path: 'finance/agreements/501/additions',
      body: { product: { identifier: 'M365-BP' }, quantity: 25, unitPrice: '21.5', billCustomer: 'Billable', effectiveDate: '2026-12-07T00:00:00Z' },
    });
  });

  it('cancels an addition Microsoft no longer bills, and sets the approved price where it differs', () => {
    expect(seatWriteFor({ ...todo, kind: 'cancelled_in_microsoft', microsoftQuantity: 0 }, '2026-12-07')).toMatchObject({ operations: [{ op: 'replace', path: 'cancelledDate', value: '2026-12-07T00:00:00Z' }] });
    expect(seatWriteFor({ ...todo, kind: 'price_differs', approvedUnitPrice: new Decimal('21') }, '2026-12-07')).toMatchObject({ operations: [{ op: 'replace', path: 'unitPrice', value: '21' }] });
  });

  it('has nothing to write without an agreement', () => {
    expect(seatWriteFor({ ...todo, kind: 'missing_product', agreementId: null, lineId: null }, '2026-12-07')).toBeNull();
  });
});
