import type { Selectable, Transaction } from 'kysely';
import { enqueueJob } from '../jobs/enqueue.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Db } from './database.ts';
import type { Database, InvoiceDeliveriesTable } from './types.ts';

export const INVOICE_DELIVERY_TASK = 'invoice:deliver';

/**
 * Attempts at one invoice e-mail before it is marked failed. graphile-worker waits
 * e^attempts seconds between them (3 s, 7 s, 20 s … 20 min): about half an hour in all.
 */
export const INVOICE_DELIVERY_ATTEMPTS = 8;

export type InvoiceDeliveryRow = Selectable<InvoiceDeliveriesTable>;

export class NoRecipient extends Error {}

/**
 * Queue the e-mail of an invoice to its customer's billing contact (or the address given),
 * in the caller's transaction: the job exists if and only if the delivery row commits.
 * Throws NoRecipient when neither is known.
 */
export async function queueInvoiceDelivery(
  trx: Transaction<Database>,
  input: { invoiceId: string; recipient?: string | null },
  actor: ActorContext,
): Promise<InvoiceDeliveryRow> {
  const invoice = await trx
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .select(['i.id', 'i.customer_id', 'i.number', 'c.billing_email'])
    .where('i.id', '=', input.invoiceId)
    .executeTakeFirstOrThrow();
  const recipient = input.recipient?.trim() || invoice.billing_email?.trim();
  if (!recipient) throw new NoRecipient(`the customer of invoice ${invoice.number} has no billing e-mail: set billingEmail on the customer or give a recipient`);
  const row = await trx
    .insertInto('invoice_deliveries')
    .values({ invoice_id: invoice.id, customer_id: invoice.customer_id, recipient, requested_by: actor.actor })
    .returningAll()
    .executeTakeFirstOrThrow();
  await enqueueJob(trx, INVOICE_DELIVERY_TASK, { deliveryId: row.id }, { jobKey: `invoice-delivery:${row.id}`, maxAttempts: INVOICE_DELIVERY_ATTEMPTS });
  await writeAudit(trx, { ...actor, action: 'invoice.delivery.queue', entity: 'invoice', entityId: invoice.id, after: { deliveryId: row.id, recipient } });
  return row;
}

export async function invoiceDeliveries(db: Db, invoiceId: string): Promise<InvoiceDeliveryRow[]> {
  return db.selectFrom('invoice_deliveries').selectAll().where('invoice_id', '=', invoiceId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}
