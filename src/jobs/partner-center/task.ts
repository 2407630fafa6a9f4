import type { JobHelpers, Task } from 'graphile-worker';
import type { HubContext } from '../../context.ts';
import { addProgress, recordRunError } from './run-progress.ts';

export interface RunPayload {
  runId: string;
}

/**
 * A sync task: on its last failed attempt the error is recorded on the run and the
 * job counts as finished, so one broken customer or blob never leaves the run hanging
 * and never fails the others.
 */
export function syncTask<P extends RunPayload>(name: string, ctx: HubContext, handler: (payload: P, helpers: JobHelpers) => Promise<void>): Task {
  return async (payload, helpers) => {
    const p = payload as P;
    try {
      await handler(p, helpers);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (helpers.job.attempts < helpers.job.max_attempts) throw err;
      ctx.logger.error({ err, job: name, runId: p.runId }, 'sync job failed for good');
      await recordRunError(ctx.db, p.runId, { job: name, message, ...('customerId' in p ? { customerId: String(p.customerId) } : {}) });
      await addProgress(ctx.db, p.runId, { pendingJobs: -1, ...('customerId' in p ? { customersDone: 1 } : {}) });
    }
  };
}
