/**
 * `npm run bench -- erp-post [--invoices 2000] [--time-scale 0.2] [--workers 10]`: posts a
 * closed month's invoices to the QuickBooks sandbox the way finance does it:
 * `POST /v1/billing-runs/{id}/post` enqueues one `erp:post_invoice` job per invoice in the
 * same transaction, and a graphile-worker runs them (mapping check, read-back by
 * DocNumber, create with a requestid, the posting row written back), all through the
 * connection's limiter, with the sandbox enforcing QuickBooks' per-realm limits: 500
 * requests a minute and 10 at a time.
 *
 * Set-up (not timed): `--invoices` customers, each with an approved card, one day of
 * compute and storage usage, linked to a QuickBooks customer; the month closed through the
 * API (one invoice per customer); accounts and cost-centre classes mapped; a QuickBooks
 * connection whose limiter is given the sandbox's scaled budget.
 *
 * The sandbox's minute lasts `time-scale` of a real one (0.2: 12 s) so the run stays
 * short, and the connection's limiter gets the same scaled budget (500 per 12 s); the
 * fixed cost of each job weighs more against a shorter spacing, so the ratio at the real
 * scale is no worse than at 0.2. The ideal is the requests the sandbox served at the
 * allowed rate. `--workers` is the worker's job concurrency (QuickBooks allows 10 in flight).
 *
 * Ends with `erp-post: ratio=<elapsed ÷ (requests ÷ allowed rate)> target=1.15
 * throttled=<429s> peak_rss_mb=<n>` and exits 1 when the ratio is over 1.15, or an
 * invoice is not posted exactly once with its total.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import type { HubContext } from '../src/context.ts';
import { webhookRegistry } from '../src/connectors/webhooks.ts';
import { quickbooksDeclaration } from '../src/connectors/quickbooks/declaration.ts';
import { createApiKey } from '../src/db/api-keys.ts';
import { startWorker } from '../src/jobs/worker.ts';
import { startQuickBooksSandbox } from '../src/sandbox/quickbooks/server.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { buildApp } from '../src/server/app.ts';
import { intFlag, parseFlags, peakRssMb, startBenchDatabase, type BenchDatabase } from './support.ts';

const NAME = 'erp-post';
const TARGET_RATIO = 1.15;
const PERIOD = '2026-10';
// Sandbox ids (src/sandbox/quickbooks/company.ts): income accounts 79 and 80, class Web, department 1.
const CLASS = '5000000000000012345';

const flags = parseFlags(process.argv.slice(2), ['invoices', 'time-scale', 'workers']);
const INVOICES = intFlag(flags, 'invoices', 2000);
const TIME_SCALE = Number(flags.get('time-scale') ?? 0.2);
const WORKERS = intFlag(flags, 'workers', quickbooksDeclaration.limits.maxConcurrent);
if (!(TIME_SCALE > 0 && TIME_SCALE <= 1)) throw new Error('--time-scale must be in (0, 1]');

type Call = (method: 'GET' | 'POST' | 'PUT', url: string, payload: object | undefined, key: string) => Promise<any>;

/** Customers with approved cards and a day of usage each, made inside PostgreSQL and through the API. */
async function seed(ctx: HubContext, call: Call, keys: Record<'admin' | 'sales_ops' | 'finance', string>): Promise<void> {
  const q = (text: string, params: unknown[] = []) => ctx.pool.query(text, params);
  await q(
    `with c as (
       insert into customers (name) select 'Bench customer ' || lpad(g::text, 5, '0') from generate_series(1, $1) g returning id, name
     ), n as (
       insert into cost_nodes (customer_id, name, kind) select id, 'Unallocated', 'unallocated' from c
     )
     insert into external_links (entity, entity_id, system, external_id)
     select 'customer', id, 'partner-center', md5(name)::uuid::text from c`,
    [INVOICES],
  );
  const approve = async (id: string) => {
    await call('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, keys.sales_ops);
    await call('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, keys.finance);
  };
  const template = await call(
    'POST',
    '/v1/rate-cards',
    {
      name: 'Bench template',
      template: true,
      currency: 'USD',
      effectiveFrom: `${PERIOD}-01`,
      rounding: { scope: 'line', mode: 'half_up' },
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
        { match: { default: true }, basis: 'cost', markupPercent: '10' },
      ],
    },
    keys.admin,
  );
  await approve(template.id);
  const customers = (await q(`select id from customers order by name`)).rows as { id: string }[];
  for (const c of customers) {
    const card = await call('POST', '/v1/rate-cards', { name: 'Bench card', customerId: c.id, templateId: template.id, currency: 'USD', effectiveFrom: `${PERIOD}-01`, rules: [] }, keys.admin);
    await approve(card.id);
  }
  await q(`create table if not exists usage_lines_2026_10 partition of usage_lines for values from ('2026-10-01') to ('2026-11-01')`);
  await q(`
    insert into usage_lines (usage_date, line_key, customer_id, source, customer_tenant_id, meter_category, meter_id, resource_group, resource_uri,
      sku_id, product_id, quantity, unit_price, effective_unit_price, billing_pre_tax_total, pricing_pre_tax_total, billing_currency, pricing_currency,
      pc_to_bc_exchange_rate, pc_to_bc_exchange_rate_date, tags, entitlement_id, charge_type, unit_type, publisher_name)
    select '${PERIOD}-03', md5(l.external_id || s), c.id, 'billed_export', l.external_id,
      (array['Virtual Machines','Storage'])[s], 'meter-' || s, 'rg-1', '/subscriptions/x/rg/' || s, '0001', 'DZH318Z0BQ3Q',
      10 + s, 0.1, 0.085, 1.7 + s, 1.7 + s, 'USD', 'USD', 1, '2026-09-28', '{}'::jsonb, 'ent-1', 'new', '1 Hour', 'Microsoft'
    from customers c
    join external_links l on l.entity_id = c.id and l.system = 'partner-center'
    cross join generate_series(1, 2) s`);
  await q('analyze');
}

async function closeMonth(call: Call, key: string): Promise<string> {
  const id = (await call('POST', '/v1/billing-runs', { period: PERIOD }, key)).id as string;
  for (;;) {
    const run = await call('GET', `/v1/billing-runs/${id}?customers=false`, undefined, key);
    if (run.status === 'succeeded') return id;
    if (!['queued', 'running'].includes(run.status)) throw new Error(`the close ended ${run.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(database: BenchDatabase): Promise<number> {
  const sandbox = await startQuickBooksSandbox({ timeScale: TIME_SCALE });
  const ctx: HubContext = {
    db: database.db,
    pool: database.pool,
    config: { ...loadConfig({}), databaseUrl: database.url, workerConcurrency: WORKERS },
    logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
    secrets: new SecretBox(randomBytes(32)),
    webhookProviders: webhookRegistry([]),
  };
  const app = await buildApp(ctx);
  const worker = await startWorker(ctx.pool, ctx, { crontab: '' });
  try {
    const keyOf = async (role: string) => (await createApiKey(ctx.db, { name: `bench ${role}`, roles: [role as 'admin'], customerId: null }, { actor: 'system:bench' })).key;
    const keys = { admin: await keyOf('admin'), sales_ops: await keyOf('sales_ops'), finance: await keyOf('finance'), billing_ops: await keyOf('billing_ops') };
    const call: Call = async (method, url, payload, key) => {
      const res = await app.inject({ method, url, ...(payload === undefined ? {} : { payload }), headers: { authorization: `Bearer ${key}` } });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json();
    };
    await seed(ctx, call, keys);
    const runId = await closeMonth(call, keys.billing_ops);
    const invoices = (await ctx.pool.query<{ id: string; customer_id: string; name: string; total: string }>(
      `select i.id, i.customer_id, c.name, i.total from invoices i join customers c on c.id = i.customer_id where i.billing_run_id = $1 and i.status = 'issued'`,
      [runId],
    )).rows;
    if (invoices.length !== INVOICES) throw new Error(`the close issued ${invoices.length} invoices, not ${INVOICES}`);

    // The customers exist in QuickBooks and are linked, as after onboarding; nodes and categories are mapped.
    const links = invoices.map((i) => [i.customer_id, sandbox.company.createCustomer({ DisplayName: i.name }).Id as string]);
    await ctx.pool.query(`insert into external_links (entity, entity_id, system, external_id) select 'customer', e, 'quickbooks', x from unnest($1::uuid[], $2::text[]) as t(e, x)`, [links.map((l) => l[0]), links.map((l) => l[1])]);
    const nodes = (await ctx.pool.query<{ id: string }>(`select id from cost_nodes where kind = 'unallocated'`)).rows;
    await call(
      'PUT',
      '/v1/accounting-mappings',
      {
        system: 'quickbooks',
        mappings: [
          { kind: 'category', value: 'compute', account: '79', taxCode: 'NON' },
          { kind: 'category', value: 'storage', account: '80', taxCode: 'NON' },
          ...nodes.map((n) => ({ kind: 'costNode', value: n.id, dimensions: { class: CLASS, department: '1' } })),
        ],
      },
      keys.finance,
    );
    const { requestsPerMinute, maxConcurrent } = quickbooksDeclaration.limits;
    const scaledPerMinute = requestsPerMinute / TIME_SCALE;
    const connection = await call(
      'POST',
      '/v1/connections',
      {
        provider: 'quickbooks',
        name: 'QuickBooks sandbox',
        credentials: { clientId: sandbox.credentials.clientId, clientSecret: sandbox.credentials.clientSecret, refreshToken: sandbox.credentials.refreshToken },
        settings: { realmId: sandbox.credentials.realmId, endpoint: sandbox.endpoint, tokenUrl: sandbox.tokenUrl, requestsPerMinute: scaledPerMinute },
      },
      keys.admin,
    );

    const before = sandbox.stats();
    const start = performance.now();
    const queued = await call('POST', `/v1/billing-runs/${runId}/post`, { connectionId: connection.id }, keys.finance);
    if (queued.queued !== INVOICES) throw new Error(`the post queued ${queued.queued} invoices, not ${INVOICES}: ${JSON.stringify(queued.blocked?.slice(0, 3))}`);
    for (;;) {
      const { rows } = await ctx.pool.query<{ open: string; failed: string }>(
        `select count(*) filter (where status in ('queued', 'posting')) as open, count(*) filter (where status in ('failed', 'blocked')) as failed from erp_postings where connection_id = $1`,
        [connection.id],
      );
      if (Number(rows[0]!.open) === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsedMs = performance.now() - start;
    const after = sandbox.stats();
    const served = after.calls - after.throttled - (before.calls - before.throttled);
    const throttled = after.throttled - before.throttled;
    const idealMs = (served / scaledPerMinute) * 60_000;
    const ratio = elapsedMs / idealMs;

    const { rows } = await ctx.pool.query<{ posted: string; equal: string }>(
      `select count(*) filter (where p.status = 'posted') as posted, count(*) filter (where p.document_total = i.total) as equal
       from erp_postings p join invoices i on i.id = p.invoice_id where p.connection_id = $1`,
      [connection.id],
    );
    const documents = sandbox.company.invoices.size;
    const exact = Number(rows[0]!.posted) === INVOICES && Number(rows[0]!.equal) === INVOICES && documents === INVOICES;
    console.log(
      `${INVOICES} invoices through POST /v1/billing-runs/{id}/post and ${WORKERS} worker slots: ${served} requests served (${throttled} answered 429) in ${(elapsedMs / 1000).toFixed(1)} s; ` +
        `allowed ${requestsPerMinute}/min per realm at time scale ${TIME_SCALE} = ${scaledPerMinute.toFixed(0)}/min, ${maxConcurrent} concurrent (peak in flight ${after.maxInFlight}); ideal ${(idealMs / 1000).toFixed(1)} s`,
    );
    console.log(`documents ${documents} (expected ${INVOICES}), postings posted ${rows[0]!.posted}, totals equal ${rows[0]!.equal}`);
    console.log(`${NAME}: ratio=${ratio.toFixed(3)} target=${TARGET_RATIO} throttled=${throttled} peak_rss_mb=${peakRssMb().toFixed(0)}`);
    return ratio <= TARGET_RATIO && exact ? 0 : 1;
  } finally {
    await worker.stop();
    await app.close();
    await sandbox.close();
  }
}

// Every worker slot holds a connection while its job queries, and graphile-worker takes one to fetch and complete jobs.
const database = await startBenchDatabase({ poolSize: WORKERS + 2 });
try {
  process.exitCode = await main(database);
} finally {
  await database.close();
}
