import type { Kysely } from 'kysely';
import type { CreditNote, Invoice } from 'xero-node';
import type { XeroPostingClient } from '../../connectors/xero/client.ts';
import { Decimal } from '../../engine/decimal.ts';
import { ledgerStatusOf } from '../../mappings/accounting/ledger-status.ts';
import { lateDocumentNumber } from '../../mappings/accounting/posting-parts.ts';
import { toXeroAdjustmentCreditNote, toXeroCreditNote, xeroCreditNoteNumber } from '../../mappings/xero/credit-note.ts';
import { toXeroInvoice } from '../../mappings/xero/invoice.ts';
import { mappedXeroHeader, readBackField, toMappedXeroInvoice, xeroInvoiceMapping, type XeroInvoiceMapping } from '../../mappings/xero/mapped-invoice.ts';
import { xeroContactMapping, type XeroContactMapping, mappedXeroContact } from '../../mappings/xero/mapped-contact.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import type { Database } from '../../db/types.ts';
import { mappingObject } from '../../mappings/objects.ts';
import type { ErpDocument, ErpInvoiceHeader, ErpPoster } from './poster.ts';

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

export interface XeroMappings {
  invoice: XeroInvoiceMapping;
  contact: XeroContactMapping;
}

/** The connection's Xero invoice and contact mappings in force (version 0: the built-in defaults). */
export async function xeroMappingsInForce(db: Kysely<Database>, connectionId: string): Promise<XeroMappings> {
  const invoice = await mappingInForce(db, connectionId, 'invoice', mappingObject('xero', 'invoice')!.defaultRules);
  const contact = await mappingInForce(db, connectionId, 'contact', mappingObject('xero', 'contact')!.defaultRules);
  return { invoice: xeroInvoiceMapping(invoice.version, invoice.rules), contact: xeroContactMapping(contact.version, contact.rules) };
}

const sourceOf = (header: ErpInvoiceHeader) => ({ number: header.number, reference: header.reference, period: header.period, revision: header.revision, date: header.date, dueDate: header.dueDate, currency: header.currency, customerName: header.customerName });

/**
 * Xero behind the posting job: contacts carry the hub customer id as ContactNumber; a
 * hub invoice's header and a new contact go through the connection's field mappings
 * (with `mappings` absent, the built-in defaults), and each use is noted in mappingsUsed.
 */
export function xeroPoster(client: XeroPostingClient, mappings?: XeroMappings): ErpPoster {
  const invoiceMapping = mappings?.invoice ?? xeroInvoiceMapping(0, mappingObject('xero', 'invoice')!.defaultRules);
  const contactMapping = mappings?.contact ?? xeroContactMapping(0, mappingObject('xero', 'contact')!.defaultRules);
  const mappingsUsed = new Map<string, number>();
  return {
    mappingsUsed,
    findCustomer: async ({ hubCustomerId }) => (await client.findContactByNumber(hubCustomerId))?.contactID,
    createCustomer: async ({ hubCustomerId, name }, key) => {
      const contact = mappedXeroContact(contactMapping, { id: hubCustomerId, name });
      mappingsUsed.set('contact', contactMapping.version);
      return (await client.createContact(contact, key)).contactID!;
    },
    findInvoice: async (number, _invoice, header) => {
      if (!header) {
        const found = await client.findInvoiceByNumber(number);
        return found ? documentOf(found) : undefined;
      }
      const by = readBackField(mappedXeroHeader(invoiceMapping, sourceOf(header)), number, invoiceMapping.version);
      mappingsUsed.set('invoice', invoiceMapping.version);
      const found = by.field === 'InvoiceNumber' ? await client.findInvoiceByNumber(by.value) : await client.findInvoiceByReference(by.value);
      return found ? documentOf(found) : undefined;
    },
    createInvoice: async (header, lines, key) => {
      const mapped = mappedXeroHeader(invoiceMapping, sourceOf(header));
      readBackField(mapped, header.number, invoiceMapping.version);
      mappingsUsed.set('invoice', invoiceMapping.version);
      return documentOf(await client.createInvoice(toMappedXeroInvoice({ ...header, contactId: header.customerRef }, mapped, lines), key));
    },
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
