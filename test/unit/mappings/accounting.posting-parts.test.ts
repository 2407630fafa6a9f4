import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { documentTypeOf, INVOICE_PART, latePeriodOf, lateDocumentNumber, linesOfPart, partOf } from '../../../src/mappings/accounting/posting-parts.ts';
import { lateDocNumberOf } from '../../../src/mappings/quickbooks/invoice.ts';
import { lateCreditMemoNumberOf, quickbooksCreditMemoNumber } from '../../../src/mappings/quickbooks/credit-memo.ts';

// A November invoice carrying October late usage: 11.63 + 196.45 of its own, +2.30 late
// for 2026-10 and −1.15 late for 2026-09. By hand: the invoice part is 208.08, the October
// part 2.30 (an invoice), the September part −1.15 (a credit note for 1.15).
const lines = [
  { amount: new Decimal('11.63'), adjustmentId: null },
  { amount: new Decimal('196.45') },
  { amount: new Decimal('2.30'), adjustmentId: 'late-2026-10' },
  { amount: new Decimal('-1.15'), adjustmentId: 'late-2026-09' },
  // Late labour stays on the invoice: only late usage posts apart.
  { amount: new Decimal('0.00'), adjustmentId: 'late-labour-2026-10' },
];

describe('the documents an invoice posts as', () => {
  it('puts late-usage lines in a part of their own per period', () => {
    expect(lines.map(partOf)).toEqual([INVOICE_PART, INVOICE_PART, 'late-2026-10', 'late-2026-09', INVOICE_PART]);
    expect(linesOfPart(lines, INVOICE_PART).total.toFixed(2)).toBe('208.08');
    expect(linesOfPart(lines, 'late-2026-10').total.toFixed(2)).toBe('2.30');
    expect(linesOfPart(lines, 'late-2026-09').total.toFixed(2)).toBe('-1.15');
    expect(documentTypeOf(new Decimal('2.30'))).toBe('invoice');
    expect(documentTypeOf(new Decimal('-1.15'))).toBe('credit_note');
    expect(latePeriodOf('late-2026-09')).toBe('2026-09');
    expect(latePeriodOf(INVOICE_PART)).toBeNull();
  });

  it('numbers a late document after its invoice, within QuickBooks 21 characters', () => {
    expect(lateDocumentNumber('INV-2026-11-1A2B3C4D-r1', '2026-10')).toBe('INV-2026-11-1A2B3C4D-r1-L2026-10');
    expect(lateDocNumberOf('INV-2026-11-1A2B3C4D-r1', '2026-10')).toBe('L26102611-1A2B3C4D-r1');
    expect(() => lateDocNumberOf('INV-2026-11-1A2B3C4D-r10', '2026-10')).toThrow(/21 characters/);
  });

  it('numbers the QuickBooks credit memo that takes a late invoice back apart from the invoice\'s own', () => {
    expect(lateCreditMemoNumberOf('INV-2026-11-1A2B3C4D-r1', '2026-10')).toBe('C26102611-1A2B3C4D-r1');
    expect(quickbooksCreditMemoNumber('INV-2026-11-1A2B3C4D-r1')).toBe('C2026-11-1A2B3C4D-r1');
  });
});
