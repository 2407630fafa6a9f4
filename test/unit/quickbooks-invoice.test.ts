import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import type { PostingLine } from '../../src/mappings/accounting/posting-lines.ts';
import { docNumberOf, toQuickBooksInvoice } from '../../src/mappings/quickbooks/invoice.ts';

const header = { customerId: '58', number: 'INV-2026-10-1A2B3C4D-r2', date: '2026-10-31', dueDate: '2026-11-30', currency: 'EUR', reference: '2026-10 r2' };
const line = (amount: string, account: string, dimensions: PostingLine['dimensions']): PostingLine => ({ lineId: account + amount, description: `Line ${amount}`, amount: new Decimal(amount), account, taxCode: 'NON', dimensions });
const items = new Map([
  ['79', '11'],
  ['80', '12'],
]);

describe('a hub invoice as a QuickBooks invoice', () => {
  it('fits the hub number into the 21 characters of DocNumber by leaving off INV-', () => {
    expect(docNumberOf('INV-2026-10-1A2B3C4D-r2')).toBe('2026-10-1A2B3C4D-r2');
    expect(docNumberOf('INV-SHORT')).toBe('INV-SHORT');
    expect(() => docNumberOf('INV-2026-10-1A2B3C4D-r2-and-more')).toThrow(/21 characters/);
  });

  it('puts each line on the item of its account at quantity 1, with its class and tax code, and the department on the header', () => {
    const invoice = toQuickBooksInvoice(header, [line('11.63', '79', { class: 'C1', department: '1' }), line('196.45', '80', { class: 'C2', department: '1' })], items);
    expect(invoice).toEqual({
      CustomerRef: { value: '58' },
      DocNumber: '2026-10-1A2B3C4D-r2',
      TxnDate: '2026-10-31',
      DueDate: '2026-11-30',
      CurrencyRef: { value: 'EUR' },
      PrivateNote: 'INV-2026-10-1A2B3C4D-r2 (2026-10 r2)',
      DepartmentRef: { value: '1' },
      Line: [
        { DetailType: 'SalesItemLineDetail', Amount: 11.63, Description: 'Line 11.63', SalesItemLineDetail: { ItemRef: { value: '11' }, Qty: 1, UnitPrice: 11.63, ClassRef: { value: 'C1' }, TaxCodeRef: { value: 'NON' } } },
        { DetailType: 'SalesItemLineDetail', Amount: 196.45, Description: 'Line 196.45', SalesItemLineDetail: { ItemRef: { value: '12' }, Qty: 1, UnitPrice: 196.45, ClassRef: { value: 'C2' }, TaxCodeRef: { value: 'NON' } } },
      ],
    });
  });

  it('refuses lines that map to two departments, since QuickBooks has one per invoice', () => {
    expect(() => toQuickBooksInvoice(header, [line('1.00', '79', { department: '1' }), line('2.00', '79', { department: '2' })], items)).toThrow(/one Department per invoice.*1, 2/);
  });
});
