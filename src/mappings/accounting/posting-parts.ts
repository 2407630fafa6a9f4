/**
 * The documents one hub invoice posts as: its own lines as the invoice, and each
 * late-usage adjustment it carries (lines with adjustment id 'late-YYYY-MM') as a
 * document of its own, so the ERP shows late usage apart from the month it was billed
 * in. A late part that adds is an invoice; one that takes away is a credit note.
 */
import { sum, type Decimal } from '../../engine/decimal.ts';

export const INVOICE_PART = 'invoice';
const LATE = /^late-(\d{4}-\d{2})$/;

export type DocumentType = 'invoice' | 'credit_note';

/** The period a late part is for ('late-2026-10' → '2026-10'), null for the invoice's own part. */
export function latePeriodOf(part: string): string | null {
  return LATE.exec(part)?.[1] ?? null;
}

/** The part a line posts in: its late adjustment's, else the invoice's. */
export const partOf = (line: { adjustmentId?: string | null }): string => (line.adjustmentId && LATE.test(line.adjustmentId) ? line.adjustmentId : INVOICE_PART);

/** An invoice for what adds up to zero or more, a credit note for what takes away. */
export const documentTypeOf = (total: Decimal): DocumentType => (total.isNegative() ? 'credit_note' : 'invoice');

/** The hub-side number of a late part's document: the invoice number and the late period. */
export const lateDocumentNumber = (invoiceNumber: string, latePeriod: string) => `${invoiceNumber}-L${latePeriod}`;

/** The lines of one part, and what they add up to. */
export function linesOfPart<L extends { adjustmentId?: string | null; amount: Decimal }>(lines: readonly L[], part: string): { lines: L[]; total: Decimal } {
  const of = lines.filter((l) => partOf(l) === part);
  return { lines: of, total: sum(of.map((l) => l.amount)) };
}
