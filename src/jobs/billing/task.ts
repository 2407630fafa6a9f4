import type { Task } from 'graphile-worker';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { billingRunFinished, publishEvent } from '../../notifications/events.ts';
import { closePeriod, type ClosePayload } from './close.ts';
import { closeCustomer, recordCustomerFailure, type CloseCustomerPayload } from './close-customer.ts';
import { recordCloseError } from './run-progress.ts';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** `billing:close`: on its last failed attempt the run is marked failed with the reason. */
export function closeTask(ctx: HubContext): Task {
  return async (payload, helpers) => {
    const p = payload as ClosePayload;
    try {
      await closePeriod(p, ctx);
    } catch (err) {
      if (helpers.job.attempts < helpers.job.max_attempts) throw err;
      ctx.logger.error({ err, runId: p.runId }, 'billing close failed for good');
      await ctx.db.transaction().execute(async (trx) => {
        await recordCloseError(trx, p.runId, { job: 'billing:close', message: message(err) });
        const failed = await trx
          .updateTable('billing_runs')
          .set({ status: 'failed', finished_at: new Date(), pending_jobs: 0 })
          .where('id', '=', p.runId)
          .where('status', 'in', ['queued', 'running'])
          .returning(['id', 'period'])
          .executeTakeFirst();
        if (failed) {
          await writeAudit(trx, { actor: 'system:billing:close', action: 'billing_run.finish', entity: 'billing_run', entityId: p.runId, after: { status: 'failed', period: failed.period, error: message(err) } });
          await publishEvent(trx, billingRunFinished({ runId: p.runId, period: failed.period, status: 'failed', error: message(err) }));
        }
      });
    }
  };
}

/** `billing:close_customer`: on its last failed attempt the customer counts as failed and the run carries on. */
export function closeCustomerTask(ctx: HubContext): Task {
  return async (payload, helpers) => {
    const p = payload as CloseCustomerPayload;
    try {
      await closeCustomer(p, ctx);
    } catch (err) {
      if (helpers.job.attempts < helpers.job.max_attempts) throw err;
      ctx.logger.error({ err, runId: p.runId, customerId: p.customerId }, 'customer close failed for good');
      await recordCustomerFailure(ctx, p, message(err));
    }
  };
}
