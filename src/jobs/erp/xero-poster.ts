import type { CreditNote, Invoice } from 'xero-node';
import type { XeroPostingClient } from '../../connectors/xero/client.ts';
import { Decimal } from '../../engine/decimal.ts';
import { ledgerStatusOf } from '../../mappings/accounting/ledger-status.ts';
import { lateDocumentNumber } from '../../mappings/accounting/posting-parts.ts';
import { toXeroAdjustmentCreditNote, toXeroCreditNote, xeroCreditNoteNumber } from '../../mappings/xero/credit-note.ts';
import { toXeroInvoice } from '../../mappings/xero/invoice.ts';
import type { ErpDocument, ErpPoster } from './poster.ts';

const creditDocumentOf = (credit: CreditNote): ErpDocument => ({
  id: credit.creditNoteID!,
  number: credit.creditNoteNumber!,
  subTotal: new Decimal(String(credit.subTotal ?? 0)),
  status: String(credit.status),
});

const documentOf = (invoice: Invoice): ErpDocument => ({
  id: invoice.invoiceID!,
  number: invoice.invoiceNumber!,
  subTotal: new Decimal(String(invoice.subTotal ?? 0)),
  status: String(invoice.status),
});

/** Xero behind the posting job: contacts carry the hub customer id as ContactNumber. */
export function xeroPoster(client: XeroPostingClient): ErpPoster {
  return {
    findCustomer: async ({ hubCustomerId }) => (await client.findContactByNumber(hubCustomerId))?.contactID,
    createCustomer: async ({ hubCustomerId, name }, key) => (await client.createContact({ name, contactNumber: hubCustomerId }, key)).contactID!,
    findInvoice: async (number) => {
      const found = await client.findInvoiceByNumber(number);
      return found ? documentOf(found) : undefined;
    },
    createInvoice: async (header, lines, key) =>
      documentOf(await client.createInvoice(toXeroInvoice({ ...header, contactId: header.customerRef }, lines), key)),
    voidInvoice: async (documentId, key) => {
      await client.voidInvoice(documentId, key);
    },
    readInvoiceState: async (documentId) => {
      const invoice = await invoiceById(client, documentId);
      const amountPaid = new Decimal(String(invoice.amountPaid ?? 0));
      return { status: ledgerStatusOf({ voided: String(invoice.status) === 'VOIDED', amountPaid, balance: new Decimal(String(invoice.amountDue ?? 0)) }), amountPaid };
    },
    creditInvoice: async (documentId, credited, date, key) => {
      const invoice = await invoiceById(client, documentId);
      const number = xeroCreditNoteNumber(credited.latePeriod ? lateDocumentNumber(credited.number, credited.latePeriod) : credited.number);
      const credit = (await client.findCreditNoteByNumber(number)) ?? (await client.createCreditNote(toXeroCreditNote(invoice, number, date), key));
      // Allocated once: a re-run finds the allocation on the credit note and leaves it.
      const due = new Decimal(String(invoice.amountDue ?? 0));
      const remaining = new Decimal(String(credit.remainingCredit ?? 0));
      const allocated = (credit.allocations ?? []).some((a) => a.invoice?.invoiceID === documentId);
      if (!allocated && due.gt(0) && remaining.gt(0)) {
        await client.allocateCreditNote(credit.creditNoteID!, { amount: Number(Decimal.min(due, remaining).toFixed(2)), invoice: { invoiceID: documentId }, date }, `${key}-allocation`);
      }
      return { id: credit.creditNoteID!, number: credit.creditNoteNumber!, subTotal: new Decimal(String(credit.subTotal ?? 0)) };
    },
    // Invoice and credit note numbers are each unique per organisation: the late document is found by its own.
    findAdjustment: async (header, type) => {
      const number = lateDocumentNumber(header.number, header.latePeriod);
      if (type === 'credit_note') {
        const found = await client.findCreditNoteByNumber(number);
        return found ? creditDocumentOf(found) : undefined;
      }
      const found = await client.findInvoiceByNumber(number);
      return found ? documentOf(found) : undefined;
    },
    createAdjustment: async (header, type, lines, key) => {
      const xeroHeader = { ...header, number: lateDocumentNumber(header.number, header.latePeriod), contactId: header.customerRef };
      if (type === 'credit_note') return creditDocumentOf(await client.createCreditNote(toXeroAdjustmentCreditNote(xeroHeader, lines), key));
      return documentOf(await client.createInvoice(toXeroInvoice(xeroHeader, lines), key));
    },
  };
}

async function invoiceById(client: XeroPostingClient, documentId: string): Promise<Invoice> {
  const invoice = await client.findInvoiceById(documentId);
  if (!invoice) throw new Error(`Xero has no invoice ${documentId}`);
  return invoice;
}
