import { addDays } from '../engine/dates.ts';
import { DOCUMENT_FORMATS, toInvoiceDocument, type DocumentFormat } from '../documents/invoice-view.ts';
import { renderInvoiceDocument, type RenderOptions, type RenderedDocument } from '../documents/render.ts';
import type { Db } from './database.ts';
import { loadEngineInvoice, loadSellerSetting, type InvoiceRow } from './invoices.ts';
import { subscriptionNames } from './subscription-names.ts';

/** An invoice row with what its document prints of the customer, and the document format its onboarding chose (null: none chosen). */
export type DocumentInvoiceRow = InvoiceRow & { customer_name: string; billing_email: string | null; invoice_format: string | null };

/** The document format the customer's onboarding chose, or the fallback. */
export function customerDocumentFormat(row: DocumentInvoiceRow, fallback: DocumentFormat): DocumentFormat {
  return DOCUMENT_FORMATS.find((f) => f === row.invoice_format) ?? fallback;
}

/**
 * An issued invoice rendered as its document (the same bytes the API serves and the
 * e-mail attaches): the seller header, due date from the payment terms, revision notes.
 */
export async function renderStoredInvoice(db: Db, row: DocumentInvoiceRow, options: RenderOptions): Promise<RenderedDocument & { dueDate: string }> {
  const invoice = await loadEngineInvoice(db, row);
  const seller = await loadSellerSetting(db);
  const nodes = await db.selectFrom('cost_nodes').select(['id', 'parent_id', 'name']).where('customer_id', '=', row.customer_id).execute();
  const issuedAt = row.issued_at.toISOString().slice(0, 10);
  const dueDate = addDays(issuedAt, seller.paymentTermsDays ?? 30);
  const doc = toInvoiceDocument(invoice, {
    invoiceNumber: row.number,
    issuedAt,
    dueDate,
    revision: row.revision,
    seller,
    customer: { name: row.customer_name, billingEmail: row.billing_email },
    notes: [
      ...(row.revision > 1 ? [`Revision ${row.revision}: replaces the earlier revision of this invoice for ${row.period}.`] : []),
      ...(row.status === 'superseded' ? ['This revision has been superseded.'] : []),
      'Amounts exclude tax.',
    ],
    costNodes: nodes.map((n) => ({ id: n.id, parentId: n.parent_id, name: n.name })),
    subscriptionNames: await subscriptionNames(db, row.customer_id, invoice.lines.flatMap((l) => (l.subscriptionId ? [l.subscriptionId] : []))),
  });
  return { ...(await renderInvoiceDocument(doc, options)), dueDate };
}

/** The invoice with its customer's name and billing address, or undefined. */
export async function findDocumentInvoice(db: Db, id: string): Promise<DocumentInvoiceRow | undefined> {
  return db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .selectAll('i')
    .select(['c.name as customer_name', 'c.billing_email', 'c.invoice_format'])
    .where('i.id', '=', id)
    .executeTakeFirst();
}
