import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { DeliveryError, postWebhook, sendMail } from '../../notifications/send.ts';

export interface DeliverPayload {
  deliveryId: string;
}

/** The signing secret is sealed to its channel's row: a ciphertext copied to another row fails to open. */
export const channelSecretBinding = (channelId: string) => `notification_channel:${channelId}`;

/**
 * `notify:deliver`: one attempt at one delivery. A failure is recorded on the delivery
 * and rethrown, so graphile-worker tries again after its exponential backoff; the last
 * attempt's failure moves the delivery to the dead-letter list instead.
 */
export function deliverTask(ctx: HubContext): Task {
  return async (payload, helpers) => {
    const { deliveryId } = payload as DeliverPayload;
    const row = await ctx.db
      .selectFrom('notification_deliveries as d')
      .innerJoin('notification_channels as c', 'c.id', 'd.channel_id')
      .select(['d.id', 'd.status', 'd.event_type', 'd.payload', 'c.id as channel_id', 'c.kind', 'c.url', 'c.secret_encrypted', 'c.recipients', 'c.enabled'])
      .where('d.id', '=', deliveryId)
      .executeTakeFirst();
    if (!row || row.status !== 'pending') return;
    if (!row.enabled) {
      await ctx.db.updateTable('notification_deliveries').set({ status: 'dead', last_error: 'the channel was disabled before delivery' }).where('id', '=', row.id).execute();
      return;
    }
    const body = row.payload as { title?: string; type: string };
    try {
      let status: number | null = null;
      if (row.kind === 'webhook') {
        const secret = ctx.secrets.open(row.secret_encrypted!, channelSecretBinding(row.channel_id));
        status = await postWebhook({ url: row.url!, secret, deliveryId: row.id, eventType: row.event_type, body: JSON.stringify(row.payload) });
      } else {
        await sendMail({
          smtpUrl: ctx.config.smtpUrl,
          from: ctx.config.mailFrom,
          to: row.recipients,
          subject: `[Billing hub] ${body.title ?? row.event_type}`,
          text: `${body.title ?? row.event_type}\n\n${JSON.stringify(row.payload, null, 2)}\n`,
        });
      }
      await ctx.db
        .updateTable('notification_deliveries')
        .set({ status: 'delivered', attempts: sql`attempts + 1`, last_status: status, last_error: null, delivered_at: new Date() })
        .where('id', '=', row.id)
        .execute();
    } catch (err) {
      const last = helpers.job.attempts >= helpers.job.max_attempts;
      await ctx.db
        .updateTable('notification_deliveries')
        .set({ status: last ? 'dead' : 'pending', attempts: sql`attempts + 1`, last_error: (err as Error).message, last_status: err instanceof DeliveryError ? err.status : null })
        .where('id', '=', row.id)
        .execute();
      if (!last) throw err;
      ctx.logger.warn({ deliveryId: row.id, channelId: row.channel_id, err }, 'notification dead-lettered after its last attempt');
    }
  };
}
