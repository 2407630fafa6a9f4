import type { HubContext } from '../../context.ts';
import { periodOf, previousPeriod } from './periods.ts';
import { startSyncRun, type SyncKind } from './start-run.ts';

/**
 * The crontab's entry point: one run per active Partner Center connection. Unbilled
 * usage is pulled daily (it appears 24–48 h late, so every day brings more); billed
 * data once the month's invoice is out (between the 6th and the 8th).
 */
export async function scheduleSyncs(payload: { kind: SyncKind }, ctx: HubContext): Promise<void> {
  const connections = await ctx.db.selectFrom('connections').select('id').where('provider', '=', 'partner-center').where('status', '=', 'active').execute();
  const period = payload.kind === 'billed' ? previousPeriod(periodOf(new Date(), ctx.config.billingTimeZone)) : null;
  for (const connection of connections) {
    await startSyncRun(ctx.db, { connectionId: connection.id, kind: payload.kind, period, trigger: 'schedule' }, { actor: 'system:schedule' });
  }
}
