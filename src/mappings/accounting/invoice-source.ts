import type { RecordSchema } from '../engine/types.ts';

// The hub invoice as an ERP posting's mapping reads it: the source schema of each ERP's
// invoice mapping, and the values one invoice gives it.

/** The hub invoice as a posting sees it. */
export const ERP_INVOICE_SOURCE: RecordSchema = {
  name: 'hub invoice',
  fields: {
    'invoice.number': { type: 'string', description: 'The hub invoice number, e.g. INV-2026-10-1A2B3C4D-r1' },
    'invoice.reference': { type: 'string', description: 'Period and revision, e.g. 2026-10 r1' },
    'invoice.period': { type: 'string', description: 'YYYY-MM' },
    'invoice.revision': { type: 'integer' },
    'invoice.date': { type: 'string', description: 'Issue date, YYYY-MM-DD' },
    'invoice.dueDate': { type: 'string', description: 'YYYY-MM-DD, when the hub sets one' },
    'invoice.currency': { type: 'string' },
    'invoice.customerName': { type: 'string' },
  },
};

export interface InvoiceSource {
  number: string;
  reference: string;
  period: string;
  revision: number;
  date: string;
  dueDate: string | null;
  currency: string;
  customerName: string;
}

/** The record a mapping reads for one invoice. */
export const invoiceRecord = (source: InvoiceSource) => ({ invoice: { ...source, revision: String(source.revision) } });
