import type { HubContext, StoredWebhook } from '../../context.ts';
import { parseXeroEvent } from '../../connectors/xero/webhook.ts';
import { recordLedgerState } from './ledger-state.ts';
import { xeroClientFor } from './xero-client-for-connection.ts';
import { xeroPoster } from './xero-poster.ts';

/**
 * A Xero INVOICE event (thin: it names the invoice, not what changed; Xero sends none for
 * payments, whose effect shows on the invoice). The job reads the invoice back and records
 * its ledger state on the hub's posting: paid or partly paid (AmountPaid, AmountDue), or
 * voided in Xero. Other events are ignored.
 */
export async function handleXeroEvent(event: StoredWebhook, ctx: HubContext): Promise<void> {
  const e = parseXeroEvent(event);
  if (e.eventCategory !== 'INVOICE') return;
  const connection = await ctx.db.selectFrom('erp_postings').select('connection_id').where('system', '=', 'xero').where('document_id', '=', e.resourceId).executeTakeFirst();
  if (!connection) return;
  await recordLedgerState(ctx, 'xero', e.resourceId, async () => xeroPoster(await xeroClientFor(ctx, connection.connection_id)));
}
