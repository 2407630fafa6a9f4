import type { HubContext, StoredWebhook } from '../../context.ts';
import { parseXeroEvent } from '../../connectors/xero/webhook.ts';
import { xeroClientFor } from './xero-client-for-connection.ts';

/**
 * A Xero INVOICE event (thin: it names the invoice, not what changed). The job reads the
 * invoice back; one the hub posted that is now VOIDED in Xero marks the hub's posting
 * voided, so the postings list shows what the ledger holds. Other events are ignored.
 */
export async function handleXeroEvent(event: StoredWebhook, ctx: HubContext): Promise<void> {
  const e = parseXeroEvent(event);
  if (e.eventCategory !== 'INVOICE') return;
  const posting = await ctx.db
    .selectFrom('erp_postings')
    .select(['id', 'status', 'connection_id'])
    .where('system', '=', 'xero')
    .where('document_id', '=', e.resourceId)
    .executeTakeFirst();
  if (!posting || posting.status !== 'posted') return;
  const client = await xeroClientFor(ctx, posting.connection_id);
  const invoice = await client.findInvoiceById(e.resourceId);
  if (String(invoice?.status) !== 'VOIDED') return;
  await ctx.db
    .updateTable('erp_postings')
    .set({ status: 'voided', voided_at: new Date(), last_error: 'voided in Xero' })
    .where('id', '=', posting.id)
    .where('status', '=', 'posted')
    .execute();
}
