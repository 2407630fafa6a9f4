import type { HubContext } from '../../context.ts';

export interface WebhookProcessPayload {
  inboxId: string;
}

/**
 * Hand a stored webhook to its provider's handler. Idempotent: an event already
 * processed or ignored is left alone, so a retried job changes nothing.
 */
export async function processWebhook(payload: WebhookProcessPayload, ctx: HubContext): Promise<void> {
  const event = await ctx.db.selectFrom('webhook_inbox').selectAll().where('id', '=', payload.inboxId).executeTakeFirst();
  if (!event || event.status === 'processed' || event.status === 'ignored') return;
  const provider = ctx.webhookProviders.get(event.provider);
  await ctx.db
    .updateTable('webhook_inbox')
    .set({ attempts: event.attempts + 1 })
    .where('id', '=', event.id)
    .execute();
  if (!provider?.handle) {
    await ctx.db
      .updateTable('webhook_inbox')
      .set({ status: 'ignored', processed_at: new Date(), error: null })
      .where('id', '=', event.id)
      .execute();
    return;
  }
  try {
    await provider.handle(
      { id: event.id, eventId: event.event_id, headers: event.headers as Record<string, string>, body: event.body },
      ctx,
    );
    await ctx.db
      .updateTable('webhook_inbox')
      .set({ status: 'processed', processed_at: new Date(), error: null })
      .where('id', '=', event.id)
      .execute();
  } catch (err) {
    await ctx.db
      .updateTable('webhook_inbox')
      .set({ status: 'failed', error: String((err as Error).message ?? err) })
      .where('id', '=', event.id)
      .execute();
    throw err; // graphile-worker retries with its own backoff
  }
}
