import type { CurrencyCode, Invoice, LineAmountTypes, LineItem } from 'xero-node';
import type { PostingLine } from '../accounting/posting-lines.ts';
import { xeroEnum } from './enum.ts';

export interface XeroInvoiceHeader {
  contactId: string;
  /** The hub invoice number: unique per Xero organisation for ACCREC, so the job can read back by it. */
  number: string;
  date: string;
  dueDate: string | null;
  currency: string;
  reference: string;
}

/**
 * A hub invoice as a Xero sales invoice (ACCREC), AUTHORISED so it reaches the ledger.
 * Each line goes as quantity 1 at its amount: Xero computes LineAmount = Quantity ×
 * UnitAmount rounded to the cent, so a hub quantity with a many-decimal unit price could
 * move the total by a cent. Amounts cross to the SDK as numbers here and only here
 * (xero-node's models are numbers): a decimal string with 2 places converts exactly.
 */
export function toXeroInvoice(header: XeroInvoiceHeader, lines: readonly PostingLine[]): Invoice {
  const lineItems: LineItem[] = lines.map((l) => ({
    description: l.description,
    quantity: 1,
    unitAmount: Number(l.amount.toFixed()),
    accountCode: l.account,
    ...(l.taxCode ? { taxType: l.taxCode } : {}),
    ...(l.dimensions?.tracking ? { tracking: l.dimensions.tracking.map((t) => ({ name: t.name, option: t.option })) } : {}),
  }));
  return {
    type: xeroEnum<typeof Invoice.TypeEnum>('ACCREC'),
    contact: { contactID: header.contactId },
    invoiceNumber: header.number,
    reference: header.reference,
    date: header.date,
    ...(header.dueDate ? { dueDate: header.dueDate } : {}),
    currencyCode: xeroEnum<typeof CurrencyCode>(header.currency as keyof typeof CurrencyCode),
    lineAmountTypes: xeroEnum<typeof LineAmountTypes>('Exclusive'),
    status: xeroEnum<typeof Invoice.StatusEnum>('AUTHORISED'),
    lineItems,
  };
}
