/**
 * One Xero organisation's ledger as the sandbox keeps it: chart of accounts, tax rates,
 * tracking categories, contacts, invoices and manual journals, with Xero's validation
 * rules (as documented) and its answers in Xero's PascalCase shapes.
 */
import { randomUUID } from 'node:crypto';
import { Decimal } from '../../engine/decimal.ts';

export interface XeroAccount {
  Code: string;
  Name: string;
  Type: 'REVENUE' | 'CURRLIAB' | 'CURRENT' | 'EXPENSE';
}
export interface XeroTrackingCategory {
  Name: string;
  Options: string[];
}
export type XeroObject = Record<string, unknown>;

export const SANDBOX_ACCOUNTS: XeroAccount[] = [
  { Code: '200', Name: 'Sales', Type: 'REVENUE' },
  { Code: '210', Name: 'Licence revenue', Type: 'REVENUE' },
  { Code: '260', Name: 'Other revenue', Type: 'REVENUE' },
  { Code: '2450', Name: 'Deferred revenue', Type: 'CURRLIAB' },
];
/** Tax types and their rates (a GST-style 15 % output tax, and none). */
export const SANDBOX_TAX_RATES: Record<string, string> = { NONE: '0', OUTPUT: '15', EXEMPTOUTPUT: '0' };
export const SANDBOX_TRACKING: XeroTrackingCategory[] = [
  { Name: 'Cost centre', Options: ['Web', 'Finance', 'Operations', 'Unallocated'] },
  { Name: 'Region', Options: ['North', 'South'] },
];

/** A Xero validation failure: answered as 400 ValidationException with the element and its messages. */
export class XeroValidation extends Error {
  readonly element: XeroObject;
  readonly messages: string[];
  constructor(element: XeroObject, messages: string[]) {
    super(messages.join('; '));
    this.element = element;
    this.messages = messages;
  }
}

const msDate = (iso: string) => `/Date(${Date.parse(`${iso}T00:00:00Z`)}+0000)/`;
const money = (d: Decimal) => Number(d.toFixed(2));

export class XeroOrganisation {
  readonly tenantId = randomUUID();
  readonly name = 'Contoso MSP (sandbox)';
  readonly contacts = new Map<string, XeroObject>();
  readonly invoices = new Map<string, XeroObject>();
  readonly manualJournals = new Map<string, XeroObject>();
  readonly #now: () => Date;

  constructor(now: () => Date) {
    this.#now = now;
  }

  createContact(input: XeroObject): XeroObject {
    const name = typeof input.Name === 'string' ? input.Name.trim() : '';
    if (!name) throw new XeroValidation(input, ['The contact name must be specified.']);
    if ([...this.contacts.values()].some((c) => String(c.Name).toLowerCase() === name.toLowerCase())) {
      throw new XeroValidation(input, [`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`]);
    }
    const contact: XeroObject = { ContactID: randomUUID(), ContactStatus: 'ACTIVE', Name: name, IsCustomer: true, IsSupplier: false, Addresses: [], UpdatedDateUTC: this.#stamp() };
    this.#assignContactFields(contact, input);
    this.contacts.set(contact.ContactID as string, contact);
    return contact;
  }

  /**
   * POST /Contacts/{ContactID}: the fields sent replace the stored ones; an address
   * replaces the contact's address of the same AddressType as a whole, as Xero does.
   * Also what the control endpoint uses to edit a contact behind the hub's back.
   */
  updateContact(contactId: string, input: XeroObject): XeroObject {
    const contact = this.contacts.get(contactId);
    if (!contact) throw new XeroValidation(input, [`Contact ${contactId} could not be found`]);
    if (typeof input.Name === 'string') {
      const name = input.Name.trim();
      if (!name) throw new XeroValidation(input, ['The contact name must be specified.']);
      if ([...this.contacts.values()].some((c) => c !== contact && String(c.Name).toLowerCase() === name.toLowerCase())) {
        throw new XeroValidation(input, [`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`]);
      }
      contact.Name = name;
    }
    this.#assignContactFields(contact, input);
    contact.UpdatedDateUTC = this.#stamp();
    return contact;
  }

  #assignContactFields(contact: XeroObject, input: XeroObject): void {
    for (const field of ['ContactNumber', 'AccountNumber', 'FirstName', 'LastName', 'EmailAddress']) {
      if (typeof input[field] === 'string') contact[field] = input[field];
    }
    if (!Array.isArray(input.Addresses)) return;
    const addresses = [...((contact.Addresses as XeroObject[] | undefined) ?? [])];
    for (const address of input.Addresses as XeroObject[]) {
      if (address.AddressType !== 'POBOX' && address.AddressType !== 'STREET') throw new XeroValidation(input, ['AddressType must be POBOX or STREET']);
      const at = addresses.findIndex((a) => a.AddressType === address.AddressType);
      if (at >= 0) addresses[at] = { ...address };
      else addresses.push({ ...address });
    }
    contact.Addresses = addresses;
  }

  createInvoice(input: XeroObject): XeroObject {
    const errors: string[] = [];
    if (input.Type !== 'ACCREC' && input.Type !== 'ACCPAY') errors.push('Invoice Type must be specified.');
    const contactId = (input.Contact as XeroObject | undefined)?.ContactID;
    if (typeof contactId !== 'string' || !this.contacts.has(contactId)) errors.push('A Contact must be specified for this type of transaction');
    const number = typeof input.InvoiceNumber === 'string' ? input.InvoiceNumber : undefined;
    if (input.Type === 'ACCREC' && number && [...this.invoices.values()].some((i) => i.InvoiceNumber === number && i.Type === 'ACCREC')) {
      errors.push('Invoice # must be unique.');
    }
    const { lineAmountTypes, stored, subTotal, totalTax } = this.priceLines(input, errors, 'Invoice');
    if (errors.length > 0) throw new XeroValidation(input, errors);
    const date = typeof input.Date === 'string' ? input.Date : this.#now().toISOString().slice(0, 10);
    const total = subTotal.plus(totalTax);
    const invoice: XeroObject = {
      Type: input.Type,
      InvoiceID: randomUUID(),
      InvoiceNumber: number ?? `INV-${String(this.invoices.size + 1).padStart(4, '0')}`,
      Reference: input.Reference ?? '',
      Contact: { ...this.contacts.get(contactId as string) },
      // Xero also sends DateString and DueDateString; the OpenAPI lists only these.
      Date: msDate(date),
      ...(typeof input.DueDate === 'string' ? { DueDate: msDate(input.DueDate) } : {}),
      Status: (input.Status as string | undefined) ?? 'DRAFT',
      LineAmountTypes: lineAmountTypes,
      LineItems: stored,
      SubTotal: money(subTotal),
      TotalTax: money(totalTax),
      Total: money(total),
      AmountDue: money(total),
      AmountPaid: 0,
      AmountCredited: 0,
      CurrencyCode: input.CurrencyCode ?? 'USD',
      UpdatedDateUTC: this.#stamp(),
      HasAttachments: false,
    };
    this.invoices.set(invoice.InvoiceID as string, invoice);
    return invoice;
  }

  /** Xero's status change through POST /Invoices/{id}: only VOIDED (and DELETED for drafts) here. */
  updateInvoiceStatus(invoiceId: string, input: XeroObject): XeroObject {
    const invoice = this.invoices.get(invoiceId);
    if (!invoice) throw new XeroValidation(input, [`Invoice ${invoiceId} could not be found`]);
    const status = input.Status;
    if (status === 'VOIDED') {
      if (invoice.Status !== 'AUTHORISED' && invoice.Status !== 'SUBMITTED') throw new XeroValidation(input, [`Invoice not of valid status for modification (${String(invoice.Status)})`]);
      if (Number(invoice.AmountPaid) > 0) throw new XeroValidation(input, ['This document cannot be voided as it has payments applied to it.']);
    } else if (status === 'DELETED') {
      if (invoice.Status !== 'DRAFT' && invoice.Status !== 'SUBMITTED') throw new XeroValidation(input, ['Only DRAFT or SUBMITTED invoices can be deleted.']);
    } else {
      throw new XeroValidation(input, ['The sandbox only changes an invoice to VOIDED or DELETED']);
    }
    Object.assign(invoice, { Status: status, AmountDue: status === 'VOIDED' ? 0 : invoice.AmountDue, UpdatedDateUTC: this.#stamp() });
    return invoice;
  }

  createManualJournal(input: XeroObject): XeroObject {
    const errors: string[] = [];
    if (typeof input.Narration !== 'string' || input.Narration.trim() === '') errors.push('Narration cannot be empty');
    const lines = Array.isArray(input.JournalLines) ? (input.JournalLines as XeroObject[]) : [];
    if (lines.length < 2) errors.push('Journal must contain at least two individual lines with a non-zero amount');
    let sum = new Decimal(0);
    for (const line of lines) {
      sum = sum.plus(String(line.LineAmount ?? 0));
      errors.push(...this.#lineProblems(line));
    }
    if (!sum.isZero()) errors.push('The total debits must be equal to total credits');
    if (errors.length > 0) throw new XeroValidation(input, errors);
    const date = typeof input.Date === 'string' ? input.Date : this.#now().toISOString().slice(0, 10);
    const journal: XeroObject = {
      ManualJournalID: randomUUID(),
      Narration: input.Narration,
      Date: msDate(date),
      Status: (input.Status as string | undefined) ?? 'DRAFT',
      LineAmountTypes: input.LineAmountTypes ?? 'NoTax',
      JournalLines: lines.map((l) => ({ ...l, Tracking: l.Tracking ?? [] })),
      ShowOnCashBasisReports: true,
      HasAttachments: false,
      UpdatedDateUTC: this.#stamp(),
    };
    this.manualJournals.set(journal.ManualJournalID as string, journal);
    return journal;
  }

  #lineProblems(line: XeroObject): string[] {
    const problems: string[] = [];
    if (!SANDBOX_ACCOUNTS.some((a) => a.Code === line.AccountCode)) problems.push(`Account code '${String(line.AccountCode)}' is not a valid code for this document.`);
    if (line.TaxType !== undefined && !(String(line.TaxType) in SANDBOX_TAX_RATES)) problems.push(`The TaxType code '${String(line.TaxType)}' does not exist or cannot be used for this type of transaction.`);
    const tracking = Array.isArray(line.Tracking) ? (line.Tracking as XeroObject[]) : [];
    if (tracking.length > 2) problems.push('A maximum of 2 tracking categories can be applied per line');
    for (const t of tracking) {
      const category = SANDBOX_TRACKING.find((c) => c.Name === t.Name);
      if (!category || !category.Options.includes(String(t.Option))) problems.push(`Tracking category '${String(t.Name)}' has no active option '${String(t.Option)}'`);
    }
    return problems;
  }

  #stamp(): string {
    return `/Date(${this.#now().getTime()}+0000)/`;
  }

  /**
   * The line items of a sales document (invoice, credit note) as Xero computes them: each
   * LineAmount = Quantity × UnitAmount to the cent, tax per line at its tax type's rate
   * (none under NoTax). Problems go to `errors`.
   */
  priceLines(input: XeroObject, errors: string[], documentName: string): { lineAmountTypes: string; stored: XeroObject[]; subTotal: Decimal; totalTax: Decimal } {
    const lineAmountTypes = (input.LineAmountTypes as string | undefined) ?? 'Exclusive';
    const lines = Array.isArray(input.LineItems) ? (input.LineItems as XeroObject[]) : [];
    if (lines.length === 0) errors.push(`${documentName} must have at least one line item.`);
    let subTotal = new Decimal(0);
    let totalTax = new Decimal(0);
    const stored = lines.map((line) => {
      const quantity = new Decimal(String(line.Quantity ?? 1));
      const unit = new Decimal(String(line.UnitAmount ?? 0));
      const lineAmount = quantity.times(unit).toDecimalPlaces(2);
      errors.push(...this.#lineProblems(line));
      const rate = SANDBOX_TAX_RATES[String(line.TaxType ?? 'NONE')] ?? '0';
      const tax = lineAmountTypes === 'NoTax' ? new Decimal(0) : lineAmount.times(rate).div(100).toDecimalPlaces(2);
      subTotal = subTotal.plus(lineAmount);
      totalTax = totalTax.plus(tax);
      return { ...line, LineItemID: randomUUID(), Quantity: quantity.toNumber(), UnitAmount: unit.toNumber(), LineAmount: money(lineAmount), TaxAmount: money(tax), Tracking: line.Tracking ?? [] };
    });
    return { lineAmountTypes, stored, subTotal, totalTax };
  }
}
