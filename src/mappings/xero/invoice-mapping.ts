import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The hub invoice's header as a Xero sales invoice's, as data: which hub value goes to
// InvoiceNumber, Reference, Date and DueDate. Lines, accounts, tax and tracking come
// from the accounting mappings (PUT /v1/accounting-mappings), not from here.

export const XERO_INVOICE_TARGET: RecordSchema = {
  name: 'xero invoice',
  fields: {
    'invoice.InvoiceNumber': { type: 'string', description: 'Unique per organisation; unmapped, Xero numbers the invoice itself' },
    'invoice.Reference': { type: 'string' },
    'invoice.Date': { type: 'string', description: 'YYYY-MM-DD' },
    'invoice.DueDate': { type: 'string', description: 'YYYY-MM-DD' },
  },
};

const copy = (id: string, source: string, target: string): MappingRule => ({ id, source: `invoice.${source}`, target: `invoice.${target}`, transform: { type: 'copy' } });

export const XERO_INVOICE_DEFAULT: readonly MappingRule[] = [copy('number', 'number', 'InvoiceNumber'), copy('reference', 'reference', 'Reference'), copy('date', 'date', 'Date'), copy('due-date', 'dueDate', 'DueDate')];
