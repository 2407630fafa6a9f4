import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { seatWriteFor } from '../../../src/mappings/autotask/seat-write.ts';

// ContractServiceAdjustment fields and the updatable ContractServices fields are Autotask's (test/fixtures/vendor/autotask.json).
const todo = { agreementId: '501', lineId: '7001', product: '9001', microsoftQuantity: 25, psaQuantity: 20, approvedUnitPrice: null };
const expect501 = (units: number) => ({ serviceID: 9001, contractIDs: [501, 502], on: '2026-12-07', units });

describe('Autotask seatWriteFor', () => {
  it('adjusts the units by the signed difference from today: +5 for 20 → 25, −8 for 20 → 12', () => {
    expect(seatWriteFor({ ...todo, kind: 'increase' }, '2026-12-07', [502, 501])).toEqual({
      method: 'POST',
      path: 'ContractServiceAdjustments',
      body: { contractID: 501, contractServiceID: 7001, serviceID: 9001, effectiveDate: '2026-12-07', unitChange: 5 },
      expect: expect501(25),
    });
    expect(seatWriteFor({ ...todo, kind: 'decrease', microsoftQuantity: 12 }, '2026-12-07', [501, 502])?.body).toMatchObject({ unitChange: -8 });
  });

  it('takes every unit away when Microsoft no longer bills the SKU', () => {
    expect(seatWriteFor({ ...todo, kind: 'cancelled_in_microsoft', microsoftQuantity: 0 }, '2026-12-07', [501, 502])).toMatchObject({ body: { unitChange: -20 }, expect: expect501(0) });
  });

  it('adds a missing service to the contract at the approved price, without naming a contract service', () => {
    expect(seatWriteFor({ ...todo, kind: 'missing_product', lineId: null, psaQuantity: null, microsoftQuantity: 12, approvedUnitPrice: new Decimal('21.50') }, '2026-12-07', [501, 502])).toEqual({
      method: 'POST',
      path: 'ContractServiceAdjustments',
      body: { contractID: 501, serviceID: 9001, effectiveDate: '2026-12-07', unitChange: 12, adjustedUnitPrice: '21.5' },
      expect: expect501(12),
    });
  });

  it('sets the adjusted price of the service (one of the two fields Autotask lets an update change) when it differs from the rate card', () => {
    expect(seatWriteFor({ ...todo, kind: 'price_differs', microsoftQuantity: 20, approvedUnitPrice: new Decimal('19.99') }, '2026-12-07', [501])).toEqual({
      method: 'PATCH',
      path: 'ContractServices',
      body: { id: 7001, adjustedPrice: '19.99' },
    });
  });

  it('has no write without a contract, or for a product that is not an Autotask service id', () => {
    expect(seatWriteFor({ ...todo, kind: 'missing_product', agreementId: null, lineId: null }, '2026-12-07', [])).toBeNull();
    expect(seatWriteFor({ ...todo, kind: 'increase', product: 'M365-BP' }, '2026-12-07', [501])).toBeNull();
  });
});
