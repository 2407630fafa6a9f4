import type { HubContext, StoredWebhook } from '../../context.ts';
import { parseQuickBooksChange } from '../../connectors/quickbooks/webhook.ts';
import { recordLedgerState } from './ledger-state.ts';
import { quickbooksClientFor } from './quickbooks-client-for-connection.ts';
import { quickbooksPoster } from './quickbooks-poster.ts';

/**
 * A QuickBooks entity change (thin: it names the entity). An Invoice change (a void, an
 * edit) reads that invoice back; a Payment reads the payment back and then each invoice
 * its lines link (`LinkedTxn` of type Invoice), since a payment changes the invoices it
 * pays. Each invoice the hub posted gets its ledger state recorded. The realm picks the
 * connection; other entities and realms are ignored.
 */
export async function handleQuickBooksEvent(event: StoredWebhook, ctx: HubContext): Promise<void> {
  const change = parseQuickBooksChange(event);
  const entity = change.name.toLowerCase();
  if (entity !== 'invoice' && entity !== 'payment') return;
  const connections = await ctx.db.selectFrom('connections').select(['id', 'settings']).where('provider', '=', 'quickbooks').where('status', '=', 'active').execute();
  const connection = connections.find((c) => String((c.settings as Record<string, unknown>).realmId) === change.realmId);
  if (!connection) return;
  const client = await quickbooksClientFor(ctx, connection.id);
  const poster = async () => quickbooksPoster(client);
  if (entity === 'invoice') {
    await recordLedgerState(ctx, 'quickbooks', change.id, poster);
    return;
  }
  if (change.operation.toLowerCase().startsWith('delete')) return;
  const payment = await client.getPayment(change.id);
  const linked = ((payment.Line as { LinkedTxn?: { TxnId?: string; TxnType?: string }[] }[] | undefined) ?? []).flatMap((l) => l.LinkedTxn ?? []);
  for (const invoiceId of new Set(linked.filter((t) => t.TxnType === 'Invoice').map((t) => String(t.TxnId)))) {
    await recordLedgerState(ctx, 'quickbooks', invoiceId, poster);
  }
}
