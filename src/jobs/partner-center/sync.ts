import type { HubContext } from '../../context.ts';
import { resolveCustomers } from '../../db/ingest/customers.ts';
import { enqueueJob } from '../enqueue.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { periodOf, previousPeriod } from './periods.ts';
import { addProgress, readCursor, writeCursor } from './run-progress.ts';
import type { RunPayload } from './task.ts';
import type { BillingExportSource } from '../../connectors/partner-center/index.ts';

const ACTOR = 'system:partner_center.sync';

/**
 * The run's first job: page through the partner's customers (resumably: the
 * continuation cursor is saved with each page's work), fan out one job per customer,
 * then the usage and licence jobs for the run's period.
 */
export async function syncPartner(payload: RunPayload, ctx: HubContext): Promise<void> {
  const run = await ctx.db.selectFrom('sync_runs').selectAll().where('id', '=', payload.runId).executeTakeFirst();
  if (!run || (run.status !== 'queued' && run.status !== 'running')) return;
  await ctx.db.updateTable('sync_runs').set({ status: 'running', started_at: run.started_at ?? new Date() }).where('id', '=', run.id).execute();
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, run.connection_id, { onRetry: () => retries++, correlationId: run.id });
  const scope = `run:${run.id}:customers`;
  const saved = await readCursor<{ cursor?: string; done?: boolean }>(ctx.db, run.connection_id, scope);

  if (!saved?.done) {
    for await (const page of client.customers(saved?.cursor ? { cursor: saved.cursor } : {})) {
      const tenants = page.items.map((c) => ({ tenantId: c.id.toLowerCase(), name: c.companyProfile?.companyName ?? null }));
      const customers = await resolveCustomers(ctx.db, tenants, ACTOR);
      await ctx.db.transaction().execute(async (trx) => {
        for (const t of tenants) {
          await enqueueJob(
            trx,
            'partner_center:sync_customer',
            { runId: run.id, connectionId: run.connection_id, tenantId: t.tenantId, customerId: customers.get(t.tenantId)! },
            { jobKey: `pc:customer:${run.id}:${t.tenantId}`, maxAttempts: 5 },
          );
        }
        await addProgress(trx, run.id, { customersTotal: tenants.length, pages: 1, pendingJobs: tenants.length, retries });
        retries = 0;
        // The next page's position commits with this page's jobs: a crash resumes here, never re-adds these.
        await writeCursor(trx, run.connection_id, scope, page.cursor ? { cursor: page.cursor } : { done: true });
      });
    }
  }

  const sources = await dataSources(run.kind as 'full' | 'unbilled' | 'billed', run.period, ctx, client, (n) => (retries += n));
  await ctx.db.transaction().execute(async (trx) => {
    const enqueued = await readCursor<{ done: boolean }>(trx, run.connection_id, `run:${run.id}:data`);
    if (enqueued?.done) return;
    for (const source of sources) {
      const key = source.kind === 'billed' ? `billed:${source.invoiceId}` : `unbilled:${source.billingPeriod}:${source.currencyCode}`;
      await enqueueJob(trx, 'partner_center:usage_export', { runId: run.id, connectionId: run.connection_id, source, key }, { jobKey: `pc:usage:${run.id}:${key}`, maxAttempts: 5 });
    }
    await writeCursor(trx, run.connection_id, `run:${run.id}:data`, { done: true });
    // The children take this job's place in the pending count.
    await addProgress(trx, run.id, { pendingJobs: sources.length - 1, retries });
  });
}

/** What usage to export for the run: unbilled current and last month, or the billed invoices of its period. */
async function dataSources(
  kind: 'full' | 'unbilled' | 'billed',
  period: string | null,
  ctx: HubContext,
  client: Awaited<ReturnType<typeof partnerCenterClientFor>>,
  _countRetry: (n: number) => void,
): Promise<BillingExportSource[]> {
  const connection = await ctx.db.selectFrom('sync_runs').innerJoin('connections', 'connections.id', 'sync_runs.connection_id').select('connections.settings').executeTakeFirst();
  const currency = String((connection?.settings as Record<string, unknown> | undefined)?.currency ?? 'USD');
  const sources: BillingExportSource[] = [];
  if (kind === 'unbilled' || kind === 'full') {
    sources.push({ kind: 'unbilled', billingPeriod: 'current', currencyCode: currency });
    sources.push({ kind: 'unbilled', billingPeriod: 'last', currencyCode: currency });
  }
  if (kind === 'billed' || kind === 'full') {
    const wanted = period ?? previousPeriod(periodOf(new Date(), ctx.config.billingTimeZone));
    for await (const page of client.invoices()) {
      for (const invoice of page.items) {
        const start = invoice.billingPeriodStartDate?.slice(0, 7);
        if (start === wanted && invoice.id) sources.push({ kind: 'billed', invoiceId: invoice.id });
      }
    }
  }
  return sources;
}
