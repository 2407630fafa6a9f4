import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Counter } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

export interface FlushedCount {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** This process's name in process_counters: unique per start, so a restarted worker never overwrites its predecessor's totals. */
export const PROCESS_ID = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** Sorted keys, so one label set is one row whatever order prom-client lists them in. */
function canonicalLabels(labels: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.keys(labels).sort().map((k) => [k, String(labels[k])]));
}

/** Writes the running totals of the counters as this process's rows (absolute values, so a lost flush is made good by the next). */
export async function flushCounters(db: Db, processId: string, counters: readonly Counter[]): Promise<void> {
  const rows: { process_id: string; metric: string; labels: string; value: number }[] = [];
  for (const counter of counters) {
    const metric = await counter.get();
    for (const v of metric.values) rows.push({ process_id: processId, metric: metric.name, labels: JSON.stringify(canonicalLabels(v.labels as Record<string, string>)), value: v.value });
  }
  if (rows.length === 0) return;
  await db
    .insertInto('process_counters')
    .values(rows.map((r) => ({ ...r, labels: sql`${r.labels}::jsonb` })))
    .onConflict((oc) => oc.columns(['process_id', 'metric', 'labels']).doUpdateSet({ value: (eb) => eb.ref('excluded.value'), updated_at: sql`now()` }))
    .execute();
}

/**
 * The totals every other process flushed, summed per metric and label set. A finished
 * worker's rows stay, so a sum never goes down when a worker stops or restarts.
 */
export async function flushedCounts(db: Db, exceptProcessId: string): Promise<FlushedCount[]> {
  const rows = await db
    .selectFrom('process_counters')
    .select(['metric', 'labels', (eb) => eb.fn.sum<number>('value').as('value')])
    .where('process_id', '<>', exceptProcessId)
    .groupBy(['metric', 'labels'])
    .execute();
  return rows.map((r) => ({ metric: r.metric, labels: r.labels as Record<string, string>, value: Number(r.value) }));
}

/** Flushes every `intervalMs` until stopped; stop() flushes once more, so a drained worker's last calls count. */
export function startCounterFlush(db: Db, options: { processId: string; counters: readonly Counter[]; intervalMs: number; onError: (err: unknown) => void }): { stop(): Promise<void> } {
  const flush = () => flushCounters(db, options.processId, options.counters).catch(options.onError);
  const timer = setInterval(flush, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
