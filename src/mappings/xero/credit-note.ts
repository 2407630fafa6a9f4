import type { CreditNote, Invoice, LineItem } from 'xero-node';
import type { PostingLine } from '../accounting/posting-lines.ts';
import { xeroEnum } from './enum.ts';
import { toXeroInvoice, type XeroInvoiceHeader } from './invoice.ts';

/**
 * The number of the credit note that reverses a hub invoice's Xero invoice: unique per
 * organisation for ACCRECCREDIT, so the job reads back by it before it creates.
 *
 * @example xeroCreditNoteNumber('INV-2026-10-1A2B3C4D-r1') // 'CN-INV-2026-10-1A2B3C4D-r1'
 */
export const xeroCreditNoteNumber = (hubInvoiceNumber: string) => `CN-${hubInvoiceNumber}`;

/**
 * A sales credit note (ACCRECCREDIT, AUTHORISED) that reverses `invoice` exactly: its own
 * lines as Xero holds them (amounts, accounts, tax types, tracking), so the reversal hits
 * the same accounts and cost centres even if the hub's mappings changed since.
 */
export function toXeroCreditNote(invoice: Invoice, creditNoteNumber: string, date: string): CreditNote {
  const lineItems: LineItem[] = (invoice.lineItems ?? []).map((l) => ({
    description: l.description,
    quantity: l.quantity,
    unitAmount: l.unitAmount,
    accountCode: l.accountCode,
    ...(l.taxType ? { taxType: l.taxType } : {}),
    ...(l.tracking?.length ? { tracking: l.tracking.map((t) => ({ name: t.name, option: t.option })) } : {}),
  }));
  return {
    type: xeroEnum<typeof CreditNote.TypeEnum>('ACCRECCREDIT'),
    contact: { contactID: invoice.contact?.contactID },
    creditNoteNumber,
    reference: `Reverses ${invoice.invoiceNumber ?? invoice.invoiceID}`,
    date,
    currencyCode: invoice.currencyCode,
    lineAmountTypes: invoice.lineAmountTypes,
    status: xeroEnum<typeof CreditNote.StatusEnum>('AUTHORISED'),
    lineItems,
  };
}

/**
 * A sales credit note (ACCRECCREDIT, AUTHORISED) for what a late-usage adjustment takes
 * away: `lines` as positive amounts, each on its mapped account, tax type and tracking,
 * as the invoice would carry them. It is left unallocated: credit on the contact's account.
 */
export function toXeroAdjustmentCreditNote(header: XeroInvoiceHeader, lines: readonly PostingLine[]): CreditNote {
  const invoice = toXeroInvoice(header, lines);
  return {
    type: xeroEnum<typeof CreditNote.TypeEnum>('ACCRECCREDIT'),
    contact: invoice.contact,
    creditNoteNumber: header.number,
    reference: header.reference,
    date: header.date,
    currencyCode: invoice.currencyCode,
    lineAmountTypes: invoice.lineAmountTypes,
    status: xeroEnum<typeof CreditNote.StatusEnum>('AUTHORISED'),
    lineItems: invoice.lineItems,
  };
}
