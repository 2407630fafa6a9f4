import { sql, type Transaction } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { Database } from '../../db/types.ts';
import { publishEvent, syncRunFailed } from '../../notifications/events.ts';
import { enqueueQuoteBudgetCheck } from '../crm/budget-check.ts';

type Executor = Db | Transaction<Database>;

/** Runs fn in the caller's transaction, or in a new one when the caller has none. */
function inTransaction<T>(db: Executor, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}

export interface ProgressDelta {
  customersTotal?: number;
  customersDone?: number;
  pages?: number;
  lines?: number;
  retries?: number;
  /** Child jobs enqueued (+) or finished (−): the run ends when none are pending. */
  pendingJobs?: number;
}

/** Add to a run's counters (atomically, from any number of concurrent jobs); finish it when nothing is pending. */
export async function addProgress(db: Executor, runId: string, delta: ProgressDelta): Promise<void> {
  const row = await db
    .updateTable('sync_runs')
    .set({
      customers_total: sql`customers_total + ${delta.customersTotal ?? 0}`,
      customers_done: sql`customers_done + ${delta.customersDone ?? 0}`,
      pages: sql`pages + ${delta.pages ?? 0}`,
      lines: sql`lines + ${delta.lines ?? 0}`,
      retries: sql`retries + ${delta.retries ?? 0}`,
      pending_jobs: sql`pending_jobs + ${delta.pendingJobs ?? 0}`,
    })
    .where('id', '=', runId)
    .returning(['pending_jobs', 'status'])
    .executeTakeFirst();
  if (row && row.pending_jobs <= 0 && (row.status === 'running' || row.status === 'queued')) {
    await inTransaction(db, async (trx) => {
      const finished = await trx
        .updateTable('sync_runs')
        .set({ status: sql`case when error_count > 0 then 'partial' else 'succeeded' end`, finished_at: new Date() })
        .where('id', '=', runId)
        .where('status', 'in', ['running', 'queued'])
        .returning(['id', 'connection_id', 'kind', 'period', 'status', 'error_count'])
        .executeTakeFirst();
      // Newly synced usage may have passed a quote's Azure budget.
      if (finished) await enqueueQuoteBudgetCheck(trx, finished.period);
      if (finished && finished.status !== 'succeeded') {
        await publishEvent(trx, syncRunFailed({ runId, connectionId: finished.connection_id, kind: finished.kind, period: finished.period, status: finished.status, errorCount: finished.error_count }));
      }
    });
  }
}

export interface RunError {
  at: string;
  job: string;
  customerId?: string;
  message: string;
}

/** Record a failure a person should see on the run; the first 500 are kept. */
export async function recordRunError(db: Executor, runId: string, error: Omit<RunError, 'at'>): Promise<void> {
  const entry = JSON.stringify([{ at: new Date().toISOString(), ...error }]);
  await db
    .updateTable('sync_runs')
    .set({
      error_count: sql`error_count + 1`,
      errors: sql`case when jsonb_array_length(errors) < 500 then errors || ${entry}::jsonb else errors end`,
    })
    .where('id', '=', runId)
    .execute();
}

/** Read and advance where a fetch resumes. Cursor writes share the transaction of the data they cover. */
export async function readCursor<T>(db: Executor, connectionId: string, scope: string): Promise<T | undefined> {
  const row = await db.selectFrom('sync_cursors').select('cursor').where('connection_id', '=', connectionId).where('scope', '=', scope).executeTakeFirst();
  return row?.cursor as T | undefined;
}

export async function writeCursor(db: Executor, connectionId: string, scope: string, cursor: unknown): Promise<void> {
  await db
    .insertInto('sync_cursors')
    .values({ connection_id: connectionId, scope, cursor: JSON.stringify(cursor) })
    .onConflict((oc) => oc.columns(['connection_id', 'scope']).doUpdateSet({ cursor: JSON.stringify(cursor) }))
    .execute();
}
