import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { SalesforceEventBody } from '../../connectors/salesforce/webhook.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import { enqueueJob } from '../enqueue.ts';
import { salesforceClientFor } from './client-for-connection.ts';
import { SALESFORCE } from './quote-to-cash.ts';

export const SALESFORCE_SWEEP_TASK = 'salesforce:sweep_won';

export interface SalesforceSweepPayload {
  /** How far back to look (default 48 h: Salesforce retries an Outbound Message for 24 h, then drops it; a day more covers missed sweeps). */
  lookbackHours?: number;
  /** Opportunities modified this recently are left to the notification still on its way (default 15 minutes). */
  graceMinutes?: number;
}

/** Clock difference allowed between Salesforce's LastModifiedDate and the hub's received_at. */
const SKEW_MS = 5 * 60_000;

/**
 * `salesforce:sweep_won` (hourly): every opportunity an org won recently (SOQL by IsWon
 * and LastModifiedDate) that no notification received since its last modification names
 * is stored in the webhook inbox as a `sweep` event and processed as a notification is,
 * so it starts quote-to-cash by the same path: one job per opportunity (the webhook
 * path's job key), a won state already recorded is the same revision, and the inbox's
 * event id (the opportunity and its LastModifiedDate) makes a second sweep a no-op.
 */
export async function sweepWonOpportunities(payload: SalesforceSweepPayload, ctx: HubContext, now: Date = new Date()): Promise<{ connections: number; won: number; recovered: string[] }> {
  const from = new Date(now.getTime() - (payload.lookbackHours ?? 48) * 3_600_000);
  const to = new Date(now.getTime() - (payload.graceMinutes ?? 15) * 60_000);
  const connections = (await activeConnections(ctx, SALESFORCE)).filter((c) => typeof c.settings.organizationId === 'string');
  let won = 0;
  const recovered: string[] = [];
  for (const connection of connections) {
    const { client } = await salesforceClientFor(ctx, connection.id);
    const opportunities = await client.wonOpportunities(from, to);
    won += opportunities.length;
    for (const o of opportunities) {
      const modifiedAt = new Date(Date.parse(o.LastModifiedDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')));
      if (await notified(ctx, o.Id, new Date(modifiedAt.getTime() - SKEW_MS))) continue;
      const body: SalesforceEventBody = {
        source: 'sweep',
        organizationId: connection.settings.organizationId as string,
        notificationId: null,
        objectType: 'Opportunity',
        recordId: o.Id,
        fields: { Id: o.Id, LastModifiedDate: o.LastModifiedDate },
      };
      const stored = await ctx.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ id: string }>`
          insert into webhook_inbox (provider, event_id, headers, body)
          values (${SALESFORCE}, ${`sweep:${o.Id.slice(0, 15)}:${modifiedAt.toISOString()}`}, '{}'::jsonb, ${JSON.stringify(body)})
          on conflict (provider, event_id) do nothing
          returning id`.execute(trx);
        if (rows[0]) await enqueueJob(trx, 'webhook:process', { inboxId: rows[0].id });
        return rows.length > 0;
      });
      if (stored) recovered.push(o.Id);
    }
  }
  if (recovered.length > 0) ctx.logger.warn({ recovered }, 'Salesforce: won opportunities whose notification never arrived, recovered by the sweep');
  return { connections: connections.length, won, recovered };
}

/** Whether the inbox holds a notification (or a sweep's event) for the opportunity received since `since`. */
async function notified(ctx: HubContext, opportunityId: string, since: Date): Promise<boolean> {
  const { rows } = await sql<{ found: number }>`
    select 1 as found from webhook_inbox
    where provider = ${SALESFORCE} and received_at >= ${since}
      and left(body::jsonb ->> 'recordId', 15) = ${opportunityId.slice(0, 15)}
    limit 1`.execute(ctx.db);
  return rows.length > 0;
}
