/**
 * What happens to a Xero sales invoice after it is AUTHORISED, as the sandbox keeps it:
 * credit notes (ACCRECCREDIT) and their allocations to invoices, and payments received.
 * Xero's rules as documented: an allocation needs an AUTHORISED credit note and invoice
 * of the same contact and currency, and at most what both still have; a payment at most
 * what the invoice still owes. A settled invoice turns PAID.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from '../../engine/decimal.ts';
import { XeroValidation, type XeroObject, type XeroOrganisation } from './organisation.ts';

/** The bank account payments go to: Xero takes payments to BANK accounts (or accounts enabled for payments). */
export const SANDBOX_BANK_ACCOUNT = { Code: '090', Name: 'Business Bank Account', Type: 'BANK' } as const;

const money = (d: Decimal) => Number(d.toFixed(2));
const msDate = (iso: string) => `/Date(${Date.parse(`${iso}T00:00:00Z`)}+0000)/`;
const idOf = (ref: unknown) => String((ref as XeroObject | undefined)?.InvoiceID ?? '').toLowerCase();

export class XeroReceivables {
  readonly creditNotes = new Map<string, XeroObject>();
  readonly payments = new Map<string, XeroObject>();
  readonly #org: XeroOrganisation;
  readonly #now: () => Date;

  constructor(org: XeroOrganisation, now: () => Date) {
    this.#org = org;
    this.#now = now;
  }

  createCreditNote(input: XeroObject): XeroObject {
    const errors: string[] = [];
    if (input.Type !== 'ACCRECCREDIT' && input.Type !== 'ACCPAYCREDIT') errors.push('CreditNote Type must be specified.');
    const contactId = (input.Contact as XeroObject | undefined)?.ContactID;
    if (typeof contactId !== 'string' || !this.#org.contacts.has(contactId)) errors.push('A Contact must be specified for this type of transaction');
    const number = typeof input.CreditNoteNumber === 'string' ? input.CreditNoteNumber : undefined;
    if (input.Type === 'ACCRECCREDIT' && number && [...this.creditNotes.values()].some((c) => c.CreditNoteNumber === number && c.Type === 'ACCRECCREDIT')) {
      errors.push('Credit Note # must be unique.');
    }
    const { lineAmountTypes, stored, subTotal, totalTax } = this.#org.priceLines(input, errors, 'Credit Note');
    if (errors.length > 0) throw new XeroValidation(input, errors);
    const total = subTotal.plus(totalTax);
    const creditNote: XeroObject = {
      Type: input.Type,
      CreditNoteID: randomUUID(),
      CreditNoteNumber: number ?? `CN-${String(this.creditNotes.size + 1).padStart(4, '0')}`,
      Reference: input.Reference ?? '',
      Contact: { ...this.#org.contacts.get(contactId as string) },
      Date: msDate(typeof input.Date === 'string' ? input.Date : this.#today()),
      Status: (input.Status as string | undefined) ?? 'DRAFT',
      LineAmountTypes: lineAmountTypes,
      LineItems: stored,
      SubTotal: money(subTotal),
      TotalTax: money(totalTax),
      Total: money(total),
      RemainingCredit: money(total),
      Allocations: [],
      CurrencyCode: input.CurrencyCode ?? 'USD',
      UpdatedDateUTC: this.#stamp(),
      HasAttachments: false,
    };
    this.creditNotes.set(creditNote.CreditNoteID as string, creditNote);
    return creditNote;
  }

  /** `PUT /CreditNotes/{id}/Allocations`: applies part of the credit to an invoice of the same contact and currency. */
  allocate(creditNoteId: string, input: XeroObject): XeroObject {
    const creditNote = this.creditNotes.get(creditNoteId);
    if (!creditNote) throw new XeroValidation(input, [`Credit note ${creditNoteId} could not be found`]);
    const invoice = this.#org.invoices.get(idOf(input.Invoice));
    const amount = new Decimal(String(input.Amount ?? 0));
    const errors: string[] = [];
    if (!invoice) errors.push('Invoice could not be found');
    if (creditNote.Status !== 'AUTHORISED') errors.push('Credit note must be AUTHORISED to be allocated');
    if (invoice && invoice.Status !== 'AUTHORISED') errors.push(`Invoice not of valid status for allocation (${String(invoice.Status)})`);
    if (invoice && (invoice.Contact as XeroObject).ContactID !== (creditNote.Contact as XeroObject).ContactID) errors.push('The credit note and the invoice must belong to the same contact');
    if (invoice && invoice.CurrencyCode !== creditNote.CurrencyCode) errors.push('The credit note and the invoice must be in the same currency');
    if (amount.lte(0)) errors.push('Amount must be greater than zero');
    if (amount.gt(String(creditNote.RemainingCredit))) errors.push('Amount cannot be more than the remaining credit');
    if (invoice && amount.gt(String(invoice.AmountDue))) errors.push('Amount cannot be more than the amount due on the invoice');
    if (errors.length > 0) throw new XeroValidation(input, errors);
    const date = typeof input.Date === 'string' ? input.Date : this.#today();
    const allocation: XeroObject = { AllocationID: randomUUID(), Amount: money(amount), Date: msDate(date), Invoice: { InvoiceID: invoice!.InvoiceID, InvoiceNumber: invoice!.InvoiceNumber } };
    const remaining = new Decimal(String(creditNote.RemainingCredit)).minus(amount);
    Object.assign(creditNote, { RemainingCredit: money(remaining), Status: remaining.isZero() ? 'PAID' : 'AUTHORISED', Allocations: [...(creditNote.Allocations as XeroObject[]), allocation], UpdatedDateUTC: this.#stamp() });
    this.#settle(invoice!, { AmountCredited: money(new Decimal(String(invoice!.AmountCredited)).plus(amount)) }, amount);
    return { ...allocation, CreditNote: { CreditNoteID: creditNote.CreditNoteID, CreditNoteNumber: creditNote.CreditNoteNumber } };
  }

  /** `PUT /Payments`: money received against an AUTHORISED invoice, into the bank account. */
  createPayment(input: XeroObject): XeroObject {
    const invoice = this.#org.invoices.get(idOf(input.Invoice));
    const amount = new Decimal(String(input.Amount ?? 0));
    const errors: string[] = [];
    if (!invoice) errors.push('Invoice could not be found');
    if (String((input.Account as XeroObject | undefined)?.Code ?? '') !== SANDBOX_BANK_ACCOUNT.Code) errors.push('Payments can only be made to BANK accounts or accounts with EnablePaymentsToAccount');
    if (invoice && invoice.Status !== 'AUTHORISED') errors.push(`Payment cannot be created: invoice is ${String(invoice.Status)}`);
    if (amount.lte(0)) errors.push('Payment amount must be greater than zero');
    if (invoice && amount.gt(String(invoice.AmountDue))) errors.push('Payment amount exceeds the amount outstanding on this document');
    if (errors.length > 0) throw new XeroValidation(input, errors);
    const date = typeof input.Date === 'string' ? input.Date : this.#today();
    const payment: XeroObject = {
      PaymentID: randomUUID(),
      Date: msDate(date),
      Amount: money(amount),
      Reference: input.Reference ?? '',
      Status: 'AUTHORISED',
      PaymentType: 'ACCRECPAYMENT',
      IsReconciled: false,
      Account: { Code: SANDBOX_BANK_ACCOUNT.Code },
      Invoice: { InvoiceID: invoice!.InvoiceID, InvoiceNumber: invoice!.InvoiceNumber },
      UpdatedDateUTC: this.#stamp(),
    };
    this.payments.set(payment.PaymentID as string, payment);
    const paid = new Decimal(String(invoice!.AmountPaid)).plus(amount);
    this.#settle(invoice!, { AmountPaid: money(paid), Payments: [...((invoice!.Payments as XeroObject[] | undefined) ?? []), { PaymentID: payment.PaymentID, Date: payment.Date, Amount: payment.Amount }] }, amount);
    return payment;
  }

  /** Lowers what the invoice owes; at zero it is PAID. */
  #settle(invoice: XeroObject, changes: XeroObject, amount: Decimal): void {
    const due = new Decimal(String(invoice.AmountDue)).minus(amount);
    Object.assign(invoice, changes, { AmountDue: money(due), UpdatedDateUTC: this.#stamp() }, due.isZero() ? { Status: 'PAID', FullyPaidOnDate: msDate(this.#today()) } : {});
  }

  #today(): string {
    return this.#now().toISOString().slice(0, 10);
  }

  #stamp(): string {
    return `/Date(${this.#now().getTime()}+0000)/`;
  }
}
