import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { periodBounds } from '../../engine/dates.ts';
import { dropStaleRunUsage, stageRunUsage } from '../../db/run-usage-stage.ts';
import { enqueueJob } from '../enqueue.ts';
import { addCloseProgress } from './run-progress.ts';

export interface ClosePayload {
  runId: string;
}

/**
 * `billing:close`: find the customers with data in the period — usage or licence lines,
 * or late lines of earlier closed periods still to bill — and enqueue one
 * `billing:close_customer` per customer (job key per run and customer), with the
 * period's usage staged for them in one read (stageRunUsage). Runs once per run: a retry after the fan-out committed finds the run already counted and stops.
 */
export async function closePeriod(payload: ClosePayload, ctx: HubContext): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const run = await trx.selectFrom('billing_runs').selectAll().where('id', '=', payload.runId).forUpdate().executeTakeFirst();
    if (!run || run.status !== 'queued') return;
    await trx.updateTable('billing_runs').set({ status: 'running', started_at: new Date() }).where('id', '=', run.id).execute();
    const { start, end } = periodBounds(run.period);
    const { rows } = await sql<{ id: string }>`
      select c.id from customers c
      where exists (select 1 from usage_lines u where u.customer_id = c.id and u.usage_date >= ${start}::date and u.usage_date <= ${end}::date and not u.late)
         or exists (select 1 from license_lines l where l.customer_id = c.id and l.charge_period = ${run.period} and not l.late)
         or exists (select 1 from usage_lines u where u.customer_id = c.id and u.late and u.usage_date < ${start}::date
                      and (u.picked_up_by_run is null or u.picked_up_by_run in (select id from billing_runs where period = ${run.period})))
         or exists (select 1 from license_lines l where l.customer_id = c.id and l.late and l.charge_period < ${run.period}
                      and (l.picked_up_by_run is null or l.picked_up_by_run in (select id from billing_runs where period = ${run.period})))
         or exists (select 1 from labour_lines ll where ll.customer_id = c.id and ll.status = 'current' and ll.work_date >= ${start}::date and ll.work_date <= ${end}::date)
         or exists (select 1 from labour_lines ll where ll.customer_id = c.id and ll.late_period < ${run.period}
                      and (ll.picked_up_by_run is null or ll.picked_up_by_run in (select id from billing_runs where period = ${run.period})))
      order by c.id`.execute(trx);
    await dropStaleRunUsage(trx);
    // One pass over the period's usage for every customer (see run-usage-stage.ts).
    await stageRunUsage(trx, run.id, run.period, rows.map((r) => r.id));
    for (const { id } of rows) {
      await enqueueJob(trx, 'billing:close_customer', { runId: run.id, customerId: id }, { jobKey: `billing:close:${run.id}:${id}`, maxAttempts: 3 });
    }
    // This job was the one pending job; its children replace it.
    await addCloseProgress(trx, run.id, { customersTotal: rows.length, pendingJobs: rows.length - 1 });
  });
}
