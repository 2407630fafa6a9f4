import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { enqueueJob } from '../enqueue.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { periodOf, previousPeriod } from './periods.ts';
import { addProgress, readCursor, writeCursor } from './run-progress.ts';
import { DATA_JOB_PRIORITY, ingestQueue, type RunPayload } from './task.ts';
import type { BillingExportSource } from '../../connectors/partner-center/index.ts';
import type { LicenseSource } from './license-lines.ts';
import { usageExportJobKey } from './usage-export.ts';

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
      const tenants = [...new Map(page.items.map((c) => [c.id.toLowerCase(), c.companyProfile?.companyName ?? null])).entries()];
      await ctx.db.transaction().execute(async (trx) => {
        // Each customer job links (or, the first time, creates) its own hub customer: creating
        // a page of new customers here, one transaction each, held the page's jobs back ~1 s
        // (4.6 s for the second page while the first page's jobs ran; bench/pc-sync).
        // One statement for the page's jobs (an add_job each cost ~170 ms a page).
        if (tenants.length > 0) {
          await sql`select graphile_worker.add_jobs(array(
              select row('partner_center:sync_customer', t.payload, null, null, 5, t.job_key, null, null)::graphile_worker.job_spec
              from unnest(${tenants.map(([tenantId, name]) => JSON.stringify({ runId: run.id, connectionId: run.connection_id, tenantId, name }))}::json[],
                          ${tenants.map(([tenantId]) => `pc:customer:${run.id}:${tenantId}`)}::text[]) as t(payload, job_key)))`.execute(trx);
        }
        await addProgress(trx, run.id, { customersTotal: tenants.length, pages: 1, pendingJobs: tenants.length, retries });
        retries = 0;
        // The next page's position commits with this page's jobs: a crash resumes here, never re-adds these.
        await writeCursor(trx, run.connection_id, scope, page.cursor ? { cursor: page.cursor } : { done: true });
      });
    }
  }

  const sources = await dataSources(run.kind as 'full' | 'unbilled' | 'billed', run.period, run.connection_id, ctx, client);
  await ctx.db.transaction().execute(async (trx) => {
    const enqueued = await readCursor<{ done: boolean }>(trx, run.connection_id, `run:${run.id}:data`);
    if (enqueued?.done) return;
    for (const source of sources.usage) {
      const key = source.kind === 'billed' ? `billed:${source.invoiceId}` : `unbilled:${source.billingPeriod}:${source.currencyCode}`;
      await enqueueJob(trx, 'partner_center:usage_export', { runId: run.id, connectionId: run.connection_id, source, key }, { jobKey: usageExportJobKey(run.id, key), maxAttempts: 5, priority: DATA_JOB_PRIORITY });
    }
    for (const source of sources.licenses) {
      const key = source.kind === 'billed' ? `billed:${source.invoiceId}` : `unbilled:${source.period}:${source.currency}`;
      await enqueueJob(trx, 'partner_center:license_lines', { runId: run.id, connectionId: run.connection_id, source, key }, { jobKey: `pc:license:${run.id}:${key}`, maxAttempts: 5, priority: DATA_JOB_PRIORITY, queueName: ingestQueue(run.connection_id) });
    }
    await writeCursor(trx, run.connection_id, `run:${run.id}:data`, { done: true });
    // The children take this job's place in the pending count.
    await addProgress(trx, run.id, { pendingJobs: sources.usage.length + sources.licenses.length - 1, retries });
  });
}

/**
 * What the run fetches: unbilled usage and licence lines of the current and last month,
 * and/or the billed ones of each invoice of its period.
 */
async function dataSources(
  kind: 'full' | 'unbilled' | 'billed',
  period: string | null,
  connectionId: string,
  ctx: HubContext,
  client: Awaited<ReturnType<typeof partnerCenterClientFor>>,
): Promise<{ usage: BillingExportSource[]; licenses: LicenseSource[] }> {
  const connection = await ctx.db.selectFrom('connections').select('settings').where('id', '=', connectionId).executeTakeFirst();
  const currency = String((connection?.settings as Record<string, unknown> | undefined)?.currency ?? 'USD');
  const usage: BillingExportSource[] = [];
  const licenses: LicenseSource[] = [];
  if (kind === 'unbilled' || kind === 'full') {
    usage.push({ kind: 'unbilled', billingPeriod: 'current', currencyCode: currency }, { kind: 'unbilled', billingPeriod: 'last', currencyCode: currency });
    licenses.push({ kind: 'unbilled', period: 'current', currency }, { kind: 'unbilled', period: 'previous', currency });
  }
  if (kind === 'billed' || kind === 'full') {
    const wanted = period ?? previousPeriod(periodOf(new Date(), ctx.config.billingTimeZone));
    for await (const page of client.invoices()) {
      for (const invoice of page.items) {
        if (invoice.billingPeriodStartDate?.slice(0, 7) === wanted && invoice.id) {
          usage.push({ kind: 'billed', invoiceId: invoice.id });
          licenses.push({ kind: 'billed', invoiceId: invoice.id });
        }
      }
    }
  }
  return { usage, licenses };
}
