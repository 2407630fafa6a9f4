import type { HubContext } from '../../context.ts';
import { enqueueSeatReconcile } from './seat-reconcile.ts';
import { enqueueTimeSync } from './time-sync.ts';

export const CONNECTWISE_SCHEDULE_TASK = 'connectwise:schedule';

/** The crontab's entry point: an incremental time sync and a seat reconciliation per active ConnectWise connection. */
export async function scheduleConnectWise(ctx: HubContext): Promise<void> {
  const connections = await ctx.db.selectFrom('connections').select('id').where('provider', '=', 'connectwise').where('status', '=', 'active').execute();
  for (const c of connections) {
    await enqueueTimeSync(ctx, c.id);
    await enqueueSeatReconcile(ctx, c.id);
  }
}
