import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { enqueueJob } from '../enqueue.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { checkGdap } from './gdap-check.ts';
import { periodOf, previousPeriod } from './periods.ts';
import { addProgress, readCursor, recordRunError, writeCursor } from './run-progress.ts';
import { DATA_JOB_PRIORITY, ingestQueue, type RunPayload } from './task.ts';
import type { BillingExportSource, PartnerCenterInvoice } from '../../connectors/partner-center/index.ts';
import { knownCurrencies, unbilledCurrencies, type KnownCurrencies } from './currencies.ts';
import type { LicenseSource } from './license-lines.ts';
import { usageExportJobKey } from './usage-export.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { mapCustomer } from '../../mappings/partner-center/customer.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';

const CUSTOMER = mappingObject('partner-center', 'customer')!;

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
  // The currencies the hub knew of the connection's customers as the run started, saved before
  // the customer jobs (which create the customers it has not met yet) can change the answer:
  // a retry asks for the same unbilled currencies.
  const knownScope = `run:${run.id}:known-currencies`;
  let known = run.kind === 'billed' ? undefined : await readCursor<KnownCurrencies>(ctx.db, run.connection_id, knownScope);
  if (run.kind !== 'billed' && !known) {
    known = await knownCurrencies(ctx.db, run.connection_id);
    await writeCursor(ctx.db, run.connection_id, knownScope, known);
  }

  // A fresh run reads the GDAP relationships first, so each customer job judges consent on today's.
  if (!saved) {
    try {
      await checkGdap(ctx, run.connection_id, { client });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await recordRunError(ctx.db, run.id, { job: 'partner_center:gdap_check', message: `reading GDAP relationships failed (${message}); customers were judged on the last ones read` });
    }
  }

  if (!saved?.done) {
    const mapping = await checkedMappingInForce(ctx.db, run.connection_id, CUSTOMER);
    for await (const page of client.customers(saved?.cursor ? { cursor: saved.cursor } : {})) {
      const mapped = page.items.map((c) => ({ customer: c, mapped: mapCustomer(c, mapping) }));
      const tenants = [...new Map(mapped.flatMap(({ mapped: m }) => (m.ok ? [[m.tenantId, m.name] as const] : []))).entries()];
      await ctx.db.transaction().execute(async (trx) => {
        for (const { customer, mapped: m } of mapped.filter(({ mapped: m }) => !m.ok).slice(0, 5)) {
          if (m.ok) continue;
          await recordRunError(trx, run.id, { job: 'partner_center:sync', message: `customer ${customer.id} skipped: ${m.problems.map((p) => `rule ${p.rule} ${p.field}: ${p.reason}`).join('; ')}` });
        }
        await recordMappingUse(trx, { connectionId: run.connection_id, object: CUSTOMER.object, version: mapping.version, records: page.items.length });
        // Each customer job links (or, the first time, creates) its own hub customer, so the
        // page's jobs are queued at once, in one statement (docs/performance.md, pc-sync).
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

  // A retry after the data jobs were enqueued has nothing left to do (and no invoice list to fetch).
  if ((await readCursor<{ done: boolean }>(ctx.db, run.connection_id, `run:${run.id}:data`))?.done) return;
  const sources = await dataSources(run.kind as 'full' | 'unbilled' | 'billed', run.period, run.id, run.connection_id, ctx, client, known);
  // One job per key (the key names the invoice, or the unbilled period and currency): a key
  // listed twice would replace its own job and leave the run waiting for one that never ends.
  const usageJobs = new Map(sources.usage.map((source) => [source.kind === 'billed' ? `billed:${source.invoiceId}` : `unbilled:${source.billingPeriod}:${source.currencyCode}`, source]));
  const licenseJobs = new Map(sources.licenses.map((source) => [source.kind === 'billed' ? `billed:${source.invoiceId}` : `unbilled:${source.period}:${source.currency}`, source]));
  await ctx.db.transaction().execute(async (trx) => {
    const enqueued = await readCursor<{ done: boolean }>(trx, run.connection_id, `run:${run.id}:data`);
    if (enqueued?.done) return;
    for (const [key, source] of usageJobs) {
      await enqueueJob(trx, 'partner_center:usage_export', { runId: run.id, connectionId: run.connection_id, source, key }, { jobKey: usageExportJobKey(run.id, key), maxAttempts: 5, priority: DATA_JOB_PRIORITY });
    }
    for (const [key, source] of licenseJobs) {
      await enqueueJob(trx, 'partner_center:license_lines', { runId: run.id, connectionId: run.connection_id, source, key }, { jobKey: `pc:license:${run.id}:${key}`, maxAttempts: 5, priority: DATA_JOB_PRIORITY, queueName: ingestQueue(run.connection_id) });
    }
    await writeCursor(trx, run.connection_id, `run:${run.id}:data`, { done: true });
    // The children take this job's place in the pending count.
    await addProgress(trx, run.id, { pendingJobs: usageJobs.size + licenseJobs.size - 1, retries });
  });
}

/**
 * What the run fetches: unbilled usage and licence lines of the current and last month in
 * each currency the partner is billed in (src/jobs/partner-center/currencies.ts), and/or
 * the billed ones of each invoice of its period (each invoice has its own currency).
 */
async function dataSources(
  kind: 'full' | 'unbilled' | 'billed',
  period: string | null,
  runId: string,
  connectionId: string,
  ctx: HubContext,
  client: Awaited<ReturnType<typeof partnerCenterClientFor>>,
  known: KnownCurrencies | undefined,
): Promise<{ usage: BillingExportSource[]; licenses: LicenseSource[] }> {
  const usage: BillingExportSource[] = [];
  const licenses: LicenseSource[] = [];
  // The invoice list names the billed invoices and, with their currencyCode, the currencies
  // the partner is billed in: one call, made for unbilled runs too.
  let invoices: PartnerCenterInvoice[] | undefined;
  try {
    invoices = [];
    for await (const page of client.invoices()) invoices.push(...page.items);
  } catch (err) {
    // Billed data cannot do without it; unbilled data goes ahead with the currencies the hub knows.
    if (kind !== 'unbilled') throw err;
    invoices = undefined;
    const message = err instanceof Error ? err.message : String(err);
    await recordRunError(ctx.db, runId, { job: 'partner_center:sync', message: `listing invoices to learn the billing currencies failed (${message}); unbilled data was requested in the currencies the hub knew` });
  }
  if (kind === 'unbilled' || kind === 'full') {
    const connection = await ctx.db.selectFrom('connections').select('settings').where('id', '=', connectionId).executeTakeFirst();
    const { currencies, from } = await unbilledCurrencies(ctx.db, connectionId, { settings: connection?.settings, ...(invoices ? { invoices } : {}), ...(known ? { known } : {}) });
    ctx.logger.info({ runId, connectionId, currencies, from }, 'partner center unbilled currencies');
    for (const currencyCode of currencies) {
      usage.push({ kind: 'unbilled', billingPeriod: 'current', currencyCode }, { kind: 'unbilled', billingPeriod: 'last', currencyCode });
      licenses.push({ kind: 'unbilled', period: 'current', currency: currencyCode }, { kind: 'unbilled', period: 'previous', currency: currencyCode });
    }
  }
  if (kind === 'billed' || kind === 'full') {
    const wanted = period ?? previousPeriod(periodOf(new Date(), ctx.config.billingTimeZone));
    for (const invoice of invoices ?? []) {
      if (invoice.billingPeriodStartDate?.slice(0, 7) === wanted && invoice.id) {
        usage.push({ kind: 'billed', invoiceId: invoice.id });
        licenses.push({ kind: 'billed', invoiceId: invoice.id });
      }
    }
  }
  return { usage, licenses };
}
