import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import { writeAudit, type ActorContext } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { enqueueJob } from '../enqueue.ts';

export type SyncKind = 'full' | 'unbilled' | 'billed';
export type SyncRunRow = Selectable<Database['sync_runs']>;

/**
 * Create a sync run and enqueue its first job, or hand back the run already queued or
 * running for the same connection, kind and period: a repeated trigger (a double
 * click, a cron tick and a person at once) never starts the same work twice.
 */
export async function startSyncRun(
  db: Db,
  input: { connectionId: string; kind: SyncKind; period: string | null; trigger: 'manual' | 'schedule' },
  actor: ActorContext,
): Promise<{ run: SyncRunRow; duplicate: boolean }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`sync-run:${input.connectionId}`}))`.execute(trx);
    let active = trx
      .selectFrom('sync_runs')
      .selectAll()
      .where('connection_id', '=', input.connectionId)
      .where('kind', '=', input.kind)
      .where('status', 'in', ['queued', 'running']);
    active = input.period === null ? active.where('period', 'is', null) : active.where('period', '=', input.period);
    const existing = await active.orderBy('created_at', 'desc').executeTakeFirst();
    if (existing) return { run: existing, duplicate: true };
    const run = await trx
      .insertInto('sync_runs')
      .values({
        connection_id: input.connectionId,
        kind: input.kind,
        period: input.period,
        trigger: input.trigger,
        // The first job counts as pending; the run ends when its last job finishes.
        pending_jobs: 1,
        requested_by: actor.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueueJob(trx, 'partner_center:sync', { runId: run.id }, { jobKey: `pc:sync:${run.id}`, maxAttempts: 5 });
    await writeAudit(trx, { ...actor, action: 'sync_run.start', entity: 'sync_run', entityId: run.id, after: run });
    return { run, duplicate: false };
  });
}
