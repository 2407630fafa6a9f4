import type { Invoice } from 'xero-node';
import { invoiceRecord, type InvoiceSource } from '../accounting/invoice-source.ts';
import type { PostingLine } from '../accounting/posting-lines.ts';
import { checkedRules, mappedText } from '../checked.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';
import { toXeroInvoice, type XeroInvoiceHeader } from './invoice.ts';

// A hub invoice through the connection's Xero invoice mapping (xero/invoice-mapping.ts).

const INVOICE = mappingObject('xero', 'invoice')!;

export interface XeroInvoiceMapping {
  version: number;
  checked: CheckedMapping;
}

export function xeroInvoiceMapping(version: number, rules: readonly MappingRule[]): XeroInvoiceMapping {
  return { version, checked: checkedRules(INVOICE, rules) };
}

/** The Xero header fields a hub invoice maps to (only those the mapping fills). */
export function mappedXeroHeader(mapping: XeroInvoiceMapping, source: InvoiceSource): Partial<Record<'InvoiceNumber' | 'Reference' | 'Date' | 'DueDate', string>> {
  return mappedText(INVOICE, mapping, invoiceRecord(source), `invoice ${source.number}`);
}

/**
 * Where the posting finds the invoice again before creating it (exactly once): the mapped
 * InvoiceNumber, else the mapped Reference. Either must carry the hub number, or a
 * read-back could find another customer's invoice; a mapping that keeps the hub number
 * out of both is refused here, naming the fields.
 */
export function readBackField(header: ReturnType<typeof mappedXeroHeader>, hubNumber: string, version: number): { field: 'InvoiceNumber' | 'Reference'; value: string } {
  if (header.InvoiceNumber?.includes(hubNumber)) return { field: 'InvoiceNumber', value: header.InvoiceNumber };
  if (header.Reference?.includes(hubNumber)) return { field: 'Reference', value: header.Reference };
  throw new Error(`the Xero invoice mapping (version ${version}) puts the hub number ${hubNumber} in neither InvoiceNumber nor Reference: the posting reads the invoice back by one of them to post it exactly once`);
}

/** The Xero invoice: lines and fixed fields as toXeroInvoice makes them, the header fields as mapped. */
export function toMappedXeroInvoice(header: Omit<XeroInvoiceHeader, 'number' | 'reference'> & { number: string; reference: string }, mapped: ReturnType<typeof mappedXeroHeader>, lines: readonly PostingLine[]): Invoice {
  const invoice = toXeroInvoice({ ...header, dueDate: mapped.DueDate ?? null, date: mapped.Date ?? header.date }, lines);
  delete invoice.invoiceNumber;
  delete invoice.reference;
  if (mapped.InvoiceNumber) invoice.invoiceNumber = mapped.InvoiceNumber;
  if (mapped.Reference) invoice.reference = mapped.Reference;
  return invoice;
}
