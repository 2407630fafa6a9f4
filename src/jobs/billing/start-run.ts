import { sql, type Selectable } from 'kysely';
import type { Db } from '../../db/database.ts';
import { writeAudit, type ActorContext } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { enqueueJob } from '../enqueue.ts';

export type BillingRunRow = Selectable<Database['billing_runs']>;

/**
 * Create a billing run for a period and enqueue its close, or hand back the run already
 * queued or running for that period: two closes of one period never run at once.
 */
export async function startBillingRun(
  db: Db,
  input: { period: string; timeZone: string },
  actor: ActorContext,
): Promise<{ run: BillingRunRow; duplicate: boolean }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`billing-run:${input.period}`}))`.execute(trx);
    const existing = await trx
      .selectFrom('billing_runs')
      .selectAll()
      .where('period', '=', input.period)
      .where('status', 'in', ['queued', 'running'])
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    if (existing) return { run: existing, duplicate: true };
    const run = await trx
      .insertInto('billing_runs')
      .values({ period: input.period, time_zone: input.timeZone, pending_jobs: 1, requested_by: actor.actor })
      .returningAll()
      .executeTakeFirstOrThrow();
    await enqueueJob(trx, 'billing:close', { runId: run.id }, { jobKey: `billing:close:${run.id}`, maxAttempts: 5 });
    await writeAudit(trx, { ...actor, action: 'billing_run.start', entity: 'billing_run', entityId: run.id, after: run });
    return { run, duplicate: false };
  });
}
