import type { HubContext } from '../../context.ts';
import type { ConnectWiseCallback } from '../../connectors/connectwise/callback.ts';
import { connectwiseDeclaration } from '../../connectors/connectwise/declaration.ts';
import { readCursor, writeCursor } from '../partner-center/run-progress.ts';
import { enqueueSeatReconcile } from './seat-reconcile.ts';
import { enqueueTimeSync } from './time-sync.ts';

const SCOPE = 'connectwise:callback';

/**
 * A stored callback: a time entry changed, so the connection's incremental sync runs
 * early, no sooner than a minute after the last early one (the job key merges the
 * callbacks of that minute into one sync); an agreement changed, so seats are
 * reconciled. Other types are done with.
 */
export async function handleConnectWiseCallback(callback: ConnectWiseCallback, ctx: HubContext): Promise<void> {
  const type = callback.Type.toLowerCase();
  if (type === 'agreement') return enqueueSeatReconcile(ctx, callback.connectionId);
  if (type !== 'time') return;
  await ctx.db.transaction().execute(async (trx) => {
    const last = await readCursor<{ at: string }>(trx, callback.connectionId, SCOPE);
    const earliest = last ? Date.parse(last.at) + connectwiseDeclaration.callbacks.minIntervalMs : 0;
    const runAt = new Date(Math.max(Date.now(), earliest));
    await writeCursor(trx, callback.connectionId, SCOPE, { at: runAt.toISOString() });
    await enqueueTimeSync({ db: trx }, callback.connectionId, runAt);
  });
}
