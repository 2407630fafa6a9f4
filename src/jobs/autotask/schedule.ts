import type { HubContext } from '../../context.ts';
import { enqueueAutotaskSeatReconcile } from './seat-reconcile.ts';
import { enqueueAutotaskTimeSync } from './time-sync.ts';

export const AUTOTASK_SCHEDULE_TASK = 'autotask:schedule';

/**
 * The crontab's entry point: an incremental time sync and a seat reconciliation per
 * active Autotask connection. Autotask offers no webhooks for time entries or
 * contracts, so polling is the only way in.
 */
export async function scheduleAutotask(ctx: HubContext): Promise<void> {
  const connections = await ctx.db.selectFrom('connections').select('id').where('provider', '=', 'autotask').where('status', '=', 'active').execute();
  for (const c of connections) {
    await enqueueAutotaskTimeSync(ctx, c.id);
    await enqueueAutotaskSeatReconcile(ctx, c.id);
  }
}
