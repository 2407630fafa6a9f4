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

/** The envelope sender (return path) of one delivery's e-mail: bounces for it come back to this address. */
export function bounceAddress(deliveryId: string, bounceDomain: string): string {
  return `bounce+${deliveryId}@${bounceDomain}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The delivery id a bounce address names; null for any other address. */
export function deliveryIdOfBounceAddress(address: string, bounceDomain: string): string | null {
  const match = /^bounce\+([^@]+)@(.+)$/i.exec(address.trim());
  if (!match || match[2]!.toLowerCase() !== bounceDomain.toLowerCase() || !UUID.test(match[1]!)) return null;
  return match[1]!.toLowerCase();
}

/**
 * Marks a sent invoice e-mail bounced from a delivery-status notification that came back
 * after the mail server had accepted it. The delivery is found by the id in the return
 * path it was sent with, else by the Message-ID the report quotes. Returns the delivery
 * marked, or null when none matches or it was not (or no longer) `sent`.
 */
export async function recordLateBounce(
  db: Db,
  input: { deliveryId: string | null; messageId: string | null; reason: string; smtpStatus: number | null },
): Promise<InvoiceDeliveryRow | null> {
  if (!input.deliveryId && !input.messageId) return null;
  return db.transaction().execute(async (trx) => {
    let query = trx.updateTable('invoice_deliveries').set({ status: 'bounced', last_error: input.reason, smtp_status: input.smtpStatus }).where('status', '=', 'sent');
    query = input.deliveryId ? query.where('id', '=', input.deliveryId) : query.where('message_id', '=', input.messageId!);
    const row = await query.returningAll().executeTakeFirst();
    if (row) await writeAudit(trx, { actor: 'system:bounce', action: 'invoice.delivery.bounce', entity: 'invoice', entityId: row.invoice_id, after: { deliveryId: row.id, reason: input.reason } });
    return row ?? null;
  });
}
