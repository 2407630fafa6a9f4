import { sql, type Transaction } from 'kysely';
import { writeAudit } from '../../db/audit.ts';
import { dropRunUsage } from '../../db/run-usage-stage.ts';
import { billingRunFinished, publishEvent } from '../../notifications/events.ts';
import type { Database } from '../../db/types.ts';
import { enqueueQuoteBudgetCheck } from '../crm/budget-check.ts';

export interface CloseProgressDelta {
  customersTotal?: number;
  customersDone?: number;
  /** Child jobs enqueued (+) or finished (−): the run ends when none are pending. */
  pendingJobs?: number;
}

/**
 * Add to a close's counters inside the caller's transaction (the customer's invoice and
 * its count commit together). When nothing is pending the run finishes: `failed` when
 * every customer failed, `partial` when any customer failed, is unpriced or has no rate
 * card, `succeeded` otherwise; unless it failed, its period is then marked closed, so
 * lines arriving for it later are stored as late.
 */
export async function addCloseProgress(trx: Transaction<Database>, runId: string, delta: CloseProgressDelta): Promise<void> {
  const row = await trx
    .updateTable('billing_runs')
    .set({
      customers_total: sql`customers_total + ${delta.customersTotal ?? 0}`,
      customers_done: sql`customers_done + ${delta.customersDone ?? 0}`,
      pending_jobs: sql`pending_jobs + ${delta.pendingJobs ?? 0}`,
    })
    .where('id', '=', runId)
    .returning(['pending_jobs', 'status', 'period'])
    .executeTakeFirst();
  if (!row || row.pending_jobs > 0 || (row.status !== 'running' && row.status !== 'queued')) return;

  const outcomes = await trx
    .selectFrom('billing_run_customers')
    .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
    .where('billing_run_id', '=', runId)
    .groupBy('outcome')
    .execute();
  const count = (o: string) => Number(outcomes.find((r) => r.outcome === o)?.n ?? 0);
  const total = outcomes.reduce((n, r) => n + Number(r.n), 0);
  const errors = await trx.selectFrom('billing_runs').select('error_count').where('id', '=', runId).executeTakeFirstOrThrow();
  const status =
    total > 0 && count('failed') === total
      ? 'failed'
      : count('failed') + count('unpriced') + count('no_rate_card') > 0 || errors.error_count > 0
        ? 'partial'
        : 'succeeded';
  const finished = await trx
    .updateTable('billing_runs')
    .set({ status, finished_at: new Date() })
    .where('id', '=', runId)
    .where('status', 'in', ['running', 'queued'])
    .returningAll()
    .executeTakeFirst();
  if (!finished) return;
  await dropRunUsage(trx, runId);
  const actor = { actor: 'system:billing:close' };
  await writeAudit(trx, { ...actor, action: 'billing_run.finish', entity: 'billing_run', entityId: runId, after: { status, period: row.period, outcomes } });
  await publishEvent(trx, billingRunFinished({ runId, period: row.period, status, outcomes: outcomes.map((o) => ({ outcome: o.outcome, customers: Number(o.n) })) }));
  if (status === 'failed') return;
  await enqueueQuoteBudgetCheck(trx, row.period);
  const before = await trx.selectFrom('billing_periods').selectAll().where('period', '=', row.period).executeTakeFirst();
  if (before?.status === 'closed') return;
  const closedAt = new Date();
  const after = await trx
    .insertInto('billing_periods')
    .values({ period: row.period, status: 'closed', closed_at: closedAt })
    .onConflict((oc) => oc.column('period').doUpdateSet({ status: 'closed', closed_at: closedAt }))
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeAudit(trx, { ...actor, action: 'billing_period.close', entity: 'billing_period', entityId: row.period, before: before ?? null, after, justification: `closed by billing run ${runId}` });
}

export interface CloseRunError {
  at: string;
  job: string;
  customerId?: string;
  message: string;
}

/** Record a failure a person should see on the run; the first 500 are kept. */
export async function recordCloseError(trx: Transaction<Database>, runId: string, error: Omit<CloseRunError, 'at'>): Promise<void> {
  const entry = JSON.stringify([{ at: new Date().toISOString(), ...error }]);
  await trx
    .updateTable('billing_runs')
    .set({
      error_count: sql`error_count + 1`,
      errors: sql`case when jsonb_array_length(errors) < 500 then errors || ${entry}::jsonb else errors end`,
    })
    .where('id', '=', runId)
    .execute();
}
