import { sql, type Selectable, type Transaction } from 'kysely';
import type { AlertsTable, Database } from '../db/types.ts';
import { enqueueJob } from '../jobs/enqueue.ts';

/** What the hub tells people about. A channel takes the types it lists, or all. */
export const EVENT_TYPES = ['alert.raised', 'billing_run.finished', 'sync_run.failed', 'notification.test'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Attempts at one delivery before it goes to the dead-letter list. graphile-worker waits
 * e^attempts seconds between them (3 s, 7 s, 20 s … 49 min): about 3 hours in all.
 */
export const DELIVERY_ATTEMPTS = 10;

export interface HubEvent {
  /** Also what de-duplicates: one delivery per channel and event id, however often it is published. */
  id: string;
  type: EventType;
  occurredAt: Date;
  /** A line a person reads first (the e-mail's subject). */
  title: string;
  data: Record<string, unknown>;
}

/** The JSON a webhook receives and an e-mail carries. */
export function eventBody(event: HubEvent): { id: string; type: EventType; occurredAt: string; title: string; data: Record<string, unknown> } {
  return { id: event.id, type: event.type, occurredAt: event.occurredAt.toISOString(), title: event.title, data: event.data };
}

/**
 * Queues the event for every enabled channel that takes its type, in the caller's
 * transaction: the event is told if and only if what it reports commits.
 */
export async function publishEvent(trx: Transaction<Database>, event: HubEvent, options: { channelIds?: string[]; anyType?: boolean } = {}): Promise<string[]> {
  let channels = trx
    .selectFrom('notification_channels')
    .select('id')
    .where('enabled', '=', true);
  // A test goes to the channel it was asked for, whatever types that channel takes.
  if (!options.anyType) channels = channels.where(sql<boolean>`(cardinality(events) = 0 or ${event.type} = any(events))`);
  if (options.channelIds) channels = channels.where('id', 'in', options.channelIds);
  const targets = await channels.execute();
  if (targets.length === 0) return [];
  const created = await trx
    .insertInto('notification_deliveries')
    .values(targets.map((c) => ({ channel_id: c.id, event_id: event.id, event_type: event.type, payload: JSON.stringify(eventBody(event)) })))
    .onConflict((oc) => oc.columns(['channel_id', 'event_id']).doNothing())
    .returning('id')
    .execute();
  for (const d of created) await enqueueJob(trx, 'notify:deliver', { deliveryId: d.id }, { jobKey: `notify:${d.id}`, maxAttempts: DELIVERY_ATTEMPTS });
  return created.map((d) => d.id);
}

/** An alert row as the event that tells people about it (the alert's id is the event's). */
export function alertRaised(alert: Selectable<AlertsTable>): HubEvent {
  return {
    id: alert.id,
    type: 'alert.raised',
    occurredAt: alert.created_at,
    title: alert.message,
    data: { alertId: alert.id, kind: alert.kind, severity: alert.severity, customerId: alert.customer_id, connectionId: alert.connection_id, message: alert.message, detail: alert.detail },
  };
}

/** The close is over, whatever its outcome (a close that failed for good included). The run's id is the event's. */
export function billingRunFinished(run: { runId: string; period: string; status: string; outcomes?: { outcome: string; customers: number }[]; error?: string }): HubEvent {
  return {
    id: run.runId,
    type: 'billing_run.finished',
    occurredAt: new Date(),
    title: `Month-end close for ${run.period}: ${run.status}`,
    data: { billingRunId: run.runId, period: run.period, status: run.status, outcomes: run.outcomes ?? [], ...(run.error ? { error: run.error } : {}) },
  };
}

/** A sync that ended with errors (partial). The run's id is the event's. */
export function syncRunFailed(run: { runId: string; connectionId: string; kind: string; period: string | null; status: string; errorCount: number }): HubEvent {
  return {
    id: run.runId,
    type: 'sync_run.failed',
    occurredAt: new Date(),
    title: `Partner Center sync ${run.kind}${run.period ? ` ${run.period}` : ''} ended ${run.status} with ${run.errorCount} error${run.errorCount === 1 ? '' : 's'}`,
    data: { syncRunId: run.runId, connectionId: run.connectionId, kind: run.kind, period: run.period, status: run.status, errorCount: run.errorCount },
  };
}
