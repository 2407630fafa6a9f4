import type { QboEntity } from '../../connectors/quickbooks/client.ts';
import { invoiceRecord, type InvoiceSource } from '../accounting/invoice-source.ts';
import type { PostingLine } from '../accounting/posting-lines.ts';
import { checkedRules, mappedText } from '../checked.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';
import { docNumberOf, toQuickBooksInvoice, type QuickBooksInvoiceHeader } from './invoice.ts';

// A hub invoice through the connection's QuickBooks invoice mapping (quickbooks/invoice-mapping.ts).

const INVOICE = mappingObject('quickbooks', 'invoice')!;
type Field = 'DocNumber' | 'PrivateNote' | 'CustomerMemo' | 'TxnDate' | 'DueDate' | 'CustomField1' | 'CustomField2' | 'CustomField3';
export type QuickBooksHeaderFields = Partial<Record<Field, string>>;

export interface QuickBooksInvoiceMapping {
  version: number;
  checked: CheckedMapping;
}

export function quickbooksInvoiceMapping(version: number, rules: readonly MappingRule[]): QuickBooksInvoiceMapping {
  return { version, checked: checkedRules(INVOICE, rules) };
}

/**
 * The QuickBooks header fields of a hub invoice (only those the mapping fills). The
 * DocNumber must carry the hub docNumber (the posting reads the invoice back by it): a
 * mapping that drops it is refused here, naming the field.
 */
export function mappedQuickBooksHeader(mapping: QuickBooksInvoiceMapping, source: InvoiceSource): QuickBooksHeaderFields & { DocNumber: string } {
  const docNumber = docNumberOf(source.number);
  const header = mappedText(INVOICE, mapping, { invoice: { ...invoiceRecord(source).invoice, docNumber } }, `invoice ${source.number}`);
  if (!header.DocNumber?.includes(docNumber)) {
    throw new Error(`the QuickBooks invoice mapping (version ${mapping.version}) must put the hub number ${docNumber} in DocNumber: the posting reads the invoice back by it to post it exactly once`);
  }
  return header as QuickBooksHeaderFields & { DocNumber: string };
}

/** The QuickBooks invoice: lines and fixed fields as toQuickBooksInvoice makes them, the header fields as mapped. */
export function toMappedQuickBooksInvoice(header: QuickBooksInvoiceHeader, mapped: ReturnType<typeof mappedQuickBooksHeader>, lines: readonly PostingLine[], itemOfAccount: ReadonlyMap<string, string>): QboEntity {
  const invoice: QboEntity = { ...toQuickBooksInvoice({ ...header, dueDate: null }, lines, itemOfAccount) };
  delete invoice.PrivateNote;
  invoice.DocNumber = mapped.DocNumber;
  if (mapped.TxnDate) invoice.TxnDate = mapped.TxnDate;
  if (mapped.DueDate) invoice.DueDate = mapped.DueDate;
  if (mapped.PrivateNote) invoice.PrivateNote = mapped.PrivateNote;
  if (mapped.CustomerMemo) invoice.CustomerMemo = { value: mapped.CustomerMemo };
  const custom = ([1, 2, 3] as const).flatMap((n) => {
    const value = mapped[`CustomField${n}`];
    return value ? [{ DefinitionId: String(n), Type: 'StringType', StringValue: value }] : [];
  });
  if (custom.length > 0) invoice.CustomField = custom;
  return invoice;
}
