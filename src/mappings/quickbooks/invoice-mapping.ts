import { ERP_INVOICE_SOURCE } from '../accounting/invoice-source.ts';
import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The hub invoice's header as a QuickBooks invoice's, as data: DocNumber, the private
// note, the memo the customer sees, dates, and the three string custom fields QuickBooks
// offers on sales forms. Lines, items, classes and tax come from the accounting mappings.

export const QUICKBOOKS_INVOICE_SOURCE: RecordSchema = {
  name: 'hub invoice (QuickBooks)',
  fields: {
    ...ERP_INVOICE_SOURCE.fields,
    'invoice.docNumber': { type: 'string', description: 'The hub number fitted to QuickBooks’ 21-character DocNumber (INV- left off when too long)' },
  },
};

export const QUICKBOOKS_INVOICE_TARGET: RecordSchema = {
  name: 'quickbooks invoice',
  fields: {
    'invoice.DocNumber': { type: 'string', description: 'At most 21 characters; must carry the hub docNumber: the posting reads the invoice back by it' },
    'invoice.PrivateNote': { type: 'string' },
    'invoice.CustomerMemo': { type: 'string', description: 'Shown to the customer on the invoice' },
    'invoice.TxnDate': { type: 'string', description: 'YYYY-MM-DD' },
    'invoice.DueDate': { type: 'string', description: 'YYYY-MM-DD' },
    'invoice.CustomField1': { type: 'string', description: 'StringValue of the sales form custom field with DefinitionId 1' },
    'invoice.CustomField2': { type: 'string', description: 'DefinitionId 2' },
    'invoice.CustomField3': { type: 'string', description: 'DefinitionId 3' },
  },
};

export const QUICKBOOKS_INVOICE_DEFAULT: readonly MappingRule[] = [
  { id: 'doc-number', source: 'invoice.docNumber', target: 'invoice.DocNumber', transform: { type: 'copy' } },
  { id: 'private-note', target: 'invoice.PrivateNote', transform: { type: 'template', template: '{invoice.number} ({invoice.reference})' } },
  { id: 'date', source: 'invoice.date', target: 'invoice.TxnDate', transform: { type: 'copy' } },
  { id: 'due-date', source: 'invoice.dueDate', target: 'invoice.DueDate', transform: { type: 'copy' } },
];
