import type { JobHelpers, Task } from 'graphile-worker';
import type { HubContext } from '../../context.ts';
import { addProgress, recordRunError } from './run-progress.ts';

/**
 * How a run's jobs share a worker. graphile-worker runs lower priority numbers first:
 * the usage exports and the ingestion jobs jump the queue of customer jobs, so an export's wait on
 * Microsoft and the ingestion of what it produced overlap the customer calls instead of
 * trailing after the last of them.
 */
export const DATA_JOB_PRIORITY = -1;

/**
 * The ingestion jobs of one connection (licence pages, usage blobs) run one at a time,
 * in a graphile-worker queue of their own, so they never take more than one worker slot
 * from the jobs that make API calls. Usage ingestion takes one advisory lock per
 * transaction anyway (ensureUsagePartitions in src/db/ingest/usage-lines.ts): side by
 * side, the blobs would only hold slots and pool connections waiting for it while
 * customer jobs queue and the API budget goes unused.
 */
export function ingestQueue(connectionId: string): string {
  return `pc:ingest:${connectionId}`;
}

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
      // A customer job carries its tenant, and its hub customer once it has resolved it.
      const customerId = 'customerId' in p && p.customerId ? { customerId: String(p.customerId) } : {};
      await recordRunError(ctx.db, p.runId, { job: name, message, ...customerId });
      await addProgress(ctx.db, p.runId, { pendingJobs: -1, ...('tenantId' in p ? { customersDone: 1 } : {}) });
    }
  };
}
