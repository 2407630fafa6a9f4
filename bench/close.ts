/**
 * `npm run bench -- close [--customers 200] [--lines-per-day 1000] [--days 30] [--subscriptions 1000]`
 *
 * The reference month-end close: 200 customers × 1,000 daily usage lines × 30 days
 * (6 M usage lines) plus 1,000 licence subscriptions, closed end to end through the API
 * (POST /v1/billing-runs, a real worker, invoices persisted with lineage). The ratio is
 * the close's elapsed time ÷ a bare COPY of the same usage rows into an unindexed table
 * in the same run (target ≤ 1.0); peak RSS must stay ≤ 256 MB with Node's default flags.
 * PostgreSQL sums each customer's usage into groups and Node prices a few thousand rows
 * per customer, so 1 M and 6 M lines should peak alike (--lines-per-day 167 ≈ 1 M).
 *
 * This process seeds the database; the close runs in a fresh hub process of its own (API
 * and a worker of two, as deployed), and the peak RSS is that process's, from its start:
 * the seeding's own heap (200 customers' rate cards through the API) is not the close's.
 *
 * Also prints the CPU the hub and PostgreSQL used during the close.
 * BENCH_HEAP_SNAPSHOT=<file> writes a heap snapshot when the close
 * ends (what is still live); BENCH_MEMORY_SERIES=1 prints RSS and heap every 2 s;
 * BENCH_LIVE_HEAP=1 (with --expose-gc) the most the close's heap held;
 * BENCH_GC_STATS, BENCH_PROMOTED_PROF, BENCH_CPU_PROF and BENCH_DEBUG as in support.ts
 * (all of them in the closing process).
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { HubContext } from '../src/context.ts';
import { webhookRegistry } from '../src/connectors/webhooks.ts';
import { createApiKey } from '../src/db/api-keys.ts';
import { openDatabase, type DatabaseHandle } from '../src/db/database.ts';
import { startWorker } from '../src/jobs/worker.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { buildApp } from '../src/server/app.ts';
import { count, finish, inFreshProcess, intFlag, measured, parseFlags, peakRssMb, processCpuSeconds, profiled, promotedProfiled, reportResult, residentByKind, seconds, startBenchDatabase, withGcStats, withMemoryPeaks, type MemoryPeaks } from './support.ts';

const flags = parseFlags(process.argv.slice(2), ['customers', 'lines-per-day', 'days', 'subscriptions', 'close-child']);
const CUSTOMERS = intFlag(flags, 'customers', 200);
const LINES_PER_DAY = intFlag(flags, 'lines-per-day', 1000);
const DAYS = Math.min(31, intFlag(flags, 'days', 30));
const SUBSCRIPTIONS = intFlag(flags, 'subscriptions', 1000);
const PERIOD = '2026-10';

/** The hub's default settings, with a worker of two. */
function hubContext(database: DatabaseHandle, url: string): HubContext {
  return {
    db: database.db,
    pool: database.pool,
    config: { ...loadConfig({}), databaseUrl: url, workerConcurrency: 2 },
    logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    secrets: new SecretBox(randomBytes(32)),
    webhookProviders: webhookRegistry([]),
  };
}

/** What the closing process reports back. */
interface CloseResult {
  closeMs: number;
  status: string;
  nodeCpu: number;
  peaks: MemoryPeaks;
  /** The closing process's own peak RSS (kernel high-water mark) from its start, MB. */
  peakRssMb: number;
}

async function main(): Promise<void> {
  const database = await startBenchDatabase();
  const ctx = hubContext(database, database.url);
  const q = (text: string, params: unknown[] = []) => database.pool.query(text, params);
  try {
    console.log(`close: ${CUSTOMERS} customers × ${LINES_PER_DAY} lines/day × ${DAYS} days = ${count(CUSTOMERS * LINES_PER_DAY * DAYS)} usage lines, ${count(SUBSCRIPTIONS)} licence subscriptions`);
    let t = performance.now();
    await seed(ctx);
    console.log(`  seeded in ${seconds(performance.now() - t)}`);

    // Baseline: the same usage rows, bare, into an unindexed table (server-side COPY of a file).
    const file = join(tmpdir(), `hub-bench-close-${process.pid}.csv`);
    const columns = '*'; // whole rows, every column, as stored
    await q(`copy (select ${columns} from usage_lines) to '${file}' with (format csv)`);
    await q(`create table bench_copy as select ${columns} from usage_lines with no data`);
    t = performance.now();
    await q(`copy bench_copy from '${file}' with (format csv)`);
    const copyMs = performance.now() - t;
    await q(`drop table bench_copy`);
    await rm(file, { force: true });
    console.log(`  bare COPY of ${count(CUSTOMERS * LINES_PER_DAY * DAYS)} usage rows: ${seconds(copyMs)}`);

    const setupRss = peakRssMb();
    const script = fileURLToPath(import.meta.url);
    const closed = await measured(database, () => inFreshProcess<CloseResult>(script, ['--close-child'], { BENCH_CLOSE_URL: database.url }));
    const result = closed.value;
    console.log(`  memory peaks (MB) of the closing process: ${Object.entries(result.peaks).map(([k, v]) => `${k} ${v}`).join(', ')}; this process, seeding: ${setupRss} MB`);
    console.log(`  CPU during the close: hub ${result.nodeCpu.toFixed(1)} s, PostgreSQL ${closed.serverCpu.toFixed(1)} s (2 workers)`);
    console.log(`  close: ${seconds(result.closeMs)} (${count((CUSTOMERS * LINES_PER_DAY * DAYS) / (result.closeMs / 1000))} lines/s), status ${result.status}`);
    const invoices = await q(`select count(*)::int as n, coalesce(sum(total), 0)::text as total from invoices where period = $1`, [PERIOD]);
    console.log(`  invoices: ${invoices.rows[0].n}, total ${invoices.rows[0].total}`);
    if (result.status !== 'succeeded' || invoices.rows[0].n !== CUSTOMERS) {
      console.log(`MISS: the close did not invoice every customer (${result.status}, ${invoices.rows[0].n}/${CUSTOMERS})`);
      process.exitCode = 1;
    }
    const ok = finish({ name: 'close', ratio: result.closeMs / copyMs, target: 1.0, peakRssMb: result.peakRssMb, rssLimitMb: 256 });
    if (!ok || process.exitCode) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

/**
 * The closing process: a fresh hub (API and a worker of two) on the seeded database, as a
 * worker process runs it, closes the period through the API and reports one RESULT line.
 * Its peak RSS is its own from its start: module loading and the hub's start count, the
 * seeding's heap (in the parent) does not.
 */
async function closeChild(url: string): Promise<void> {
  const database = openDatabase(url, { max: 8 });
  const ctx = hubContext(database, url);
  try {
    const cpu0 = processCpuSeconds();
    const { value, peaks } = await withMemoryPeaks(() => withGcStats(() => promotedProfiled(() => profiled('close', () => close(ctx)))));
    const result: CloseResult = {
      ...value,
      nodeCpu: processCpuSeconds() - cpu0,
      peaks,
      peakRssMb: peakRssMb(),
    };
    reportResult(result);
  } finally {
    await database.close();
  }
}

/** Customers, approved rate cards, allocation rules, and the month's usage and licence lines, made inside PostgreSQL. */
async function seed(ctx: HubContext) {
  const q = (text: string, params: unknown[] = []) => ctx.pool.query(text, params);
  await q(`
    with c as (
      insert into customers (name) select 'Bench customer ' || lpad(g::text, 4, '0') from generate_series(1, $1) g returning id, name
    ), n as (
      insert into cost_nodes (customer_id, name, kind) select id, 'Unallocated', 'unallocated' from c
    )
    insert into external_links (entity, entity_id, system, external_id)
    select 'customer', id, 'partner-center', md5(name)::uuid::text from c`, [CUSTOMERS]);

  const admin = (await createApiKey(ctx.db, { name: 'bench admin', roles: ['admin'], customerId: null }, { actor: 'system:bench' })).key;
  const salesOps = (await createApiKey(ctx.db, { name: 'bench sales', roles: ['sales_ops'], customerId: null }, { actor: 'system:bench' })).key;
  const finance = (await createApiKey(ctx.db, { name: 'bench finance', roles: ['finance'], customerId: null }, { actor: 'system:bench' })).key;
  const app = await buildApp(ctx);
  const call = async (method: 'POST' | 'GET', url: string, payload: object | undefined, key: string) => {
    const res = await app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}` } });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };
  const approve = async (id: string) => {
    await call('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, salesOps);
    await call('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, finance);
  };
  const template = await call('POST', '/v1/rate-cards', {
    name: 'Bench template',
    template: true,
    currency: 'USD',
    effectiveFrom: `${PERIOD}-01`,
    rounding: { scope: 'invoice', mode: 'half_up' },
    rules: [
      { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
      { match: { category: 'storage' }, basis: 'cost', markupPercent: '20' },
      { match: { category: 'licenses' }, basis: 'cost', markupPercent: '20' },
      { match: { default: true }, basis: 'cost', markupPercent: '10' },
    ],
  }, admin);
  await approve(template.id);
  const customers = (await q(`select id from customers order by name`)).rows as { id: string }[];
  for (const c of customers) {
    const card = await call('POST', '/v1/rate-cards', { name: 'Bench card', customerId: c.id, templateId: template.id, currency: 'USD', effectiveFrom: `${PERIOD}-01`, rules: [] }, admin);
    await approve(card.id);
    const node = await call('POST', `/v1/customers/${c.id}/cost-nodes`, { name: 'Web', kind: 'project' }, admin);
    await call('POST', `/v1/customers/${c.id}/allocation-rules`, { priority: 1, match: { tag: { key: 'project', value: 'web' } }, splits: [{ costNodeId: node.id, percent: '100' }], justification: 'bench' }, admin);
  }
  await app.close();

  await q(`create table if not exists usage_lines_2026_10 partition of usage_lines for values from ('2026-10-01') to ('2026-11-01')`);
  // One row per customer × day × line slot, with realistic spread of meters, tags and amounts.
  await q(`
    insert into usage_lines (usage_date, line_key, customer_id, source, customer_tenant_id, meter_category, meter_id, resource_group, resource_uri,
      sku_id, product_id, quantity, unit_price, effective_unit_price, billing_pre_tax_total, pricing_pre_tax_total, billing_currency, pricing_currency,
      pc_to_bc_exchange_rate, pc_to_bc_exchange_rate_date, tags, entitlement_id, charge_type, unit_type, publisher_name)
    select d::date, md5(l.external_id || d::text || s), c.id, 'billed_export', l.external_id,
      (array['Virtual Machines','Storage','Bandwidth','SQL Database','Azure App Service'])[1 + s % 5],
      'meter-' || (s % 40), 'rg-' || (s % 8), '/subscriptions/x/rg/' || s, '0001', 'DZH318Z0BQ3Q',
      q.qty, 0.1, 0.085, floor(q.qty * 0.085 * 100) / 100, floor(q.qty * 0.085 * 100) / 100, 'USD', 'USD', 1, '2026-09-28',
      case when s % 10 < 6 then jsonb_build_object('project', case when s % 2 = 0 then 'web' else 'data' end) else '{}'::jsonb end,
      'ent-' || (s % 3), 'new', '1 Hour', 'Microsoft'
    from customers c
    join external_links l on l.entity_id = c.id and l.system = 'partner-center'
    cross join generate_series('${PERIOD}-01'::date, '${PERIOD}-01'::date + ${DAYS - 1}, '1 day') d
    cross join generate_series(1, ${LINES_PER_DAY}) s
    cross join lateral (select ((s * 7919 + extract(day from d)::int * 104729) % 2400) / 100.0 + 0.5 as qty) q`);
  // Licence subscriptions: one monthly cycle charge each.
  await q(`
    insert into license_lines (line_key, customer_id, source, charge_period, customer_tenant_id, charge_type, product_id, sku_id, sku_name,
      unit_price, effective_unit_price, quantity, billable_quantity, subtotal, total_for_customer, tax_total, currency, pricing_currency,
      pc_to_bc_exchange_rate, charge_start_date, charge_end_date, subscription_id, term_and_billing_cycle, billing_frequency, publisher_name, invoice_number)
    select md5('lic' || g), c.id, 'billed', '${PERIOD}', l.external_id, 'cycleCharge', 'CFQ7TTC0LH18', '0001', 'Microsoft 365 Business Basic',
      6, 6, 10 + g % 40, 10 + g % 40, 6 * (10 + g % 40), 6 * (10 + g % 40), 0, 'USD', 'USD', 1,
      '${PERIOD}-01T00:00:00Z', '${PERIOD}-31T23:59:59Z', 'sub-' || g, 'Monthly', 'Monthly', 'Microsoft', 'G000001'
    from generate_series(1, ${SUBSCRIPTIONS}) g
    join lateral (select id from customers order by name offset (g % ${CUSTOMERS}) limit 1) c on true
    join external_links l on l.entity_id = c.id and l.system = 'partner-center'`);
  await q('analyze');
}

/**
 * BENCH_LIVE_HEAP=1 (with node --expose-gc): what the close holds, rather than what
 * garbage the collector has not reached yet: a full collection every 100 ms and the
 * highest heap left after one. It slows the close; its time and peak RSS then say nothing.
 */
function liveHeapSampler(): { stop(): number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('BENCH_LIVE_HEAP needs node --expose-gc');
  let highest = 0;
  const timer = setInterval(() => {
    gc();
    highest = Math.max(highest, process.memoryUsage().heapUsed);
  }, 100).unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.round(highest / 2 ** 20);
    },
  };
}

/** BENCH_MEMORY_SERIES=1: RSS, V8's heap and where the resident memory lives, every 2 s of the close (where a peak comes from). */
function printMemory(ms: number): void {
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 2 ** 20);
  console.log(`  memory at ${seconds(ms)}: rss ${mb(m.rss)}, heapTotal ${mb(m.heapTotal)}, heapUsed ${mb(m.heapUsed)}, external ${mb(m.external)} MB; resident: ${residentByKind()}`);
}

async function close(ctx: HubContext): Promise<{ closeMs: number; status: string }> {
  const app = await buildApp(ctx);
  const key = (await createApiKey(ctx.db, { name: 'bench finance close', roles: ['finance'], customerId: null }, { actor: 'system:bench' })).key;
  const worker = await startWorker(ctx.pool, ctx, { crontab: '' });
  try {
    const t = performance.now();
    const live = process.env.BENCH_LIVE_HEAP ? liveHeapSampler() : undefined;
    // Unref'd: a close that throws must not leave either timer holding the process open.
    const series = process.env.BENCH_MEMORY_SERIES ? setInterval(() => printMemory(performance.now() - t), 2000).unref() : undefined;
    const started = await app.inject({ method: 'POST', url: '/v1/billing-runs', payload: { period: PERIOD }, headers: { authorization: `Bearer ${key}` } });
    if (started.statusCode >= 300) throw new Error(`POST /v1/billing-runs: ${started.statusCode} ${started.body}`);
    const id = started.json().id as string;
    for (;;) {
      const run = (await app.inject({ method: 'GET', url: `/v1/billing-runs/${id}?customers=false`, headers: { authorization: `Bearer ${key}` } })).json();
      if (!['queued', 'running'].includes(run.status)) {
        const closeMs = performance.now() - t;
        clearInterval(series);
        if (live) console.log(`  live heap: at most ${live.stop()} MB (a full collection every 100 ms)`);
        if (process.env.BENCH_HEAP_SNAPSHOT) console.log(`  heap snapshot: ${(await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT)}`);
        return { closeMs, status: run.status as string };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await worker.stop();
    await app.close();
  }
}

if (flags.has('close-child')) await closeChild(process.env.BENCH_CLOSE_URL ?? '');
else await main();
