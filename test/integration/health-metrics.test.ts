import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyDigest, headerValue, refuse, singleEvent } from '../../src/connectors/webhooks.ts';
import type { IngestSource } from '../../src/db/ingest/usage-lines.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { loadHealthFigures } from '../../src/metrics/health-figures.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// Every figure below is worked by hand from the data this file writes.
//   X: 100.00 of compute on the SMB template (25 %)      → 125.00, margin 25.00, target 20 %
//   Y: 300.00 on the SMB template, its own rule of 50 %    → 450.00, margin 150.00, target 25 %
//   Z: 200.00 on a card of its own (10 %)                  → 220.00, margin 20.00, target 10 %
// SMB: 175 ÷ 575 = 30.4348 %, target (125 × 20 + 450 × 25) ÷ 575 = 23.9130 % → 6.5218 points.
// Own card: 20 ÷ 220 = 9.0909 %, target 10 % → −0.9091 points.
// Tags: X requires `project` (its line has it), Y requires `owner` (its line has not), Z none:
// 100.00 compliant of 400.00 → 0.25.

let hub: TestHub;
const TENANT = { x: 'b1b2c3d4-0000-4000-8000-00000000000a', y: 'b1b2c3d4-0000-4000-8000-00000000000b', z: 'b1b2c3d4-0000-4000-8000-00000000000c' };
const SOURCE: IngestSource = { source: 'billed_export', connectionId: null, syncRunId: null, importId: null };
const NOW = new Date('2026-11-20T12:00:00Z');
let connectionId = '';

function send(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown, key = hub.keys.admin, headers: Record<string, string> = {}) {
  return hub.app.inject({ method, url, headers: { ...hub.auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function approved(body: Record<string, unknown>): Promise<string> {
  const res = await send('POST', '/v1/rate-cards', { effectiveFrom: '2026-01-01', currency: 'USD', justification: 'Agreed', ...body });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
  return id;
}

beforeAll(async () => {
  hub = await createTestHub({
    webhookProviders: [
      { name: 'test', accept: (r) => (headerValue(r.headers, 'x-test-signature') === 'good' ? singleEvent(r, bodyDigest(r.rawBody)) : refuse(401, 'forged')) },
    ],
  });
  const line = (tenant: string, name: string, cost: string) =>
    usageRecord({ CustomerId: tenant, CustomerName: name, BillingPreTaxTotal: cost, PricingPreTaxTotal: cost, Quantity: '1', UnitPrice: cost, EffectiveUnitPrice: cost });
  await ingestUsageRecords(hub.database, [line(TENANT.x, 'X Ltd', '100.00'), line(TENANT.y, 'Y Ltd', '300.00'), line(TENANT.z, 'Z Ltd', '200.00')], SOURCE);
  const links = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  const id = (tenant: string) => links.find((l) => l.external_id === tenant)!.entity_id;

  const smb = await approved({ name: 'SMB standard', template: true, rules: [{ match: { default: true }, basis: 'cost', markupPercent: '25' }] });
  await approved({ name: 'X prices', customerId: id(TENANT.x), templateId: smb, targetMarginPercent: '20', rules: [] });
  await approved({ name: 'Y prices', customerId: id(TENANT.y), templateId: smb, targetMarginPercent: '25', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '50' }] });
  await approved({ name: 'Z prices', customerId: id(TENANT.z), targetMarginPercent: '10', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] });
  expect((await send('PATCH', `/v1/customers/${id(TENANT.x)}`, { requiredTags: ['project'] })).statusCode).toBe(200);
  expect((await send('PATCH', `/v1/customers/${id(TENANT.y)}`, { requiredTags: ['owner'] })).statusCode).toBe(200);

  const worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 2, crontab: '' });
  try {
    const started = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.billing_ops);
    expect(started.statusCode, started.body).toBe(202);
    for (const deadline = Date.now() + 60_000; ; ) {
      const run = (await send('GET', `/v1/billing-runs/${started.json().id}?customers=false`)).json();
      if (run.status === 'succeeded') break;
      if (run.status === 'failed' || run.status === 'partial' || Date.now() > deadline) throw new Error(`close ended ${run.status}: ${JSON.stringify(run.report ?? run.errors)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await worker.stop();
  }

  // A connection whose last finished sync ended 90 s before NOW; a later failed run does not count.
  connectionId = (await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'Contoso MSP', credentials_encrypted: 'x' }).returning('id').executeTakeFirstOrThrow()).id;
  const run = (status: string, secondsBefore: number) => ({ connection_id: connectionId, kind: 'full', trigger: 'manual', status, finished_at: new Date(NOW.getTime() - secondsBefore * 1000) });
  await hub.ctx.db.insertInto('sync_runs').values([run('succeeded', 3600), run('partial', 90), run('failed', 10)]).execute();
  await hub.ctx.db.insertInto('connections').values({ provider: 'partner-center', name: 'Never synced', credentials_encrypted: 'x' }).execute();

  // Jobs, with no worker to take them: one due later, one out of attempts, one retrying.
  const add = async (task: string, maxAttempts: number, attempts: number) => {
    const { rows } = await sql<{ id: string }>`select id from graphile_worker.add_job(${task}, '{}'::json, run_at := now() + interval '1 hour', max_attempts := ${maxAttempts})`.execute(hub.ctx.db);
    if (attempts > 0) await sql`update graphile_worker._private_jobs set attempts = ${attempts}, last_error = 'boom' where id = ${rows[0]!.id}`.execute(hub.ctx.db);
  };
  await add('billing:close', 25, 0);
  await add('partner_center:sync', 1, 1);
  await add('webhook:process', 5, 1);
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('health figures', () => {
  it('read sync lag, tag compliance, jobs and margin deviation from the database', async () => {
    const figures = await loadHealthFigures(hub.ctx.db, NOW);
    expect(figures.syncLag).toEqual([
      { connectionId, provider: 'partner-center', name: 'Contoso MSP', lastSyncedAt: '2026-11-20T11:58:30.000Z', lagSeconds: 90 },
      expect.objectContaining({ name: 'Never synced', lastSyncedAt: null, lagSeconds: null }),
    ]);
    expect(figures.tagCompliance).toEqual([expect.objectContaining({ period: '2026-10', currency: 'USD', totalCost: '400', compliantCost: '100', share: '0.25' })]);
    const jobs = Object.fromEntries(figures.jobs.map((j) => [j.task, j]));
    expect(jobs['billing:close']).toEqual({ task: 'billing:close', queued: 1, running: 0, retrying: 0, failed: 0 });
    expect(jobs['partner_center:sync']).toEqual({ task: 'partner_center:sync', queued: 0, running: 0, retrying: 0, failed: 1 });
    expect(jobs['webhook:process']).toEqual({ task: 'webhook:process', queued: 1, running: 0, retrying: 1, failed: 0 });
    expect(figures.marginPeriod).toBe('2026-10');
    expect(figures.marginVariance.map((m) => [m.group, m.currency, m.invoices, m.price, m.margin, m.marginPercent, m.targetMarginPercent, m.deviationPoints])).toEqual([
      ['(own card)', 'USD', 1, '220', '20', '9.0909', '10', '-0.9091'],
      ['SMB standard', 'USD', 2, '575', '175', '30.4348', '23.913', '6.5218'],
    ]);
  });
});

describe('GET /metrics', () => {
  it('answers Prometheus text with hub_ names: process metrics, the database figures and the webhook counts', async () => {
    const post = (provider: string, signature: string) =>
      hub.app.inject({ method: 'POST', url: `/webhooks/${provider}`, headers: { 'content-type': 'application/json', 'x-test-signature': signature }, payload: `{"n":${Math.random()}}` });
    expect((await post('test', 'good')).statusCode).toBe(202);
    expect((await post('test', 'forged')).statusCode).toBe(401);
    expect((await post('test', 'forged')).statusCode).toBe(401);
    expect((await post('no-such-vendor', 'good')).statusCode).toBe(404);

    const res = await send('GET', '/metrics', undefined, hub.keys.auditor);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toMatch(/^hub_process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^hub_nodejs_heap_size_used_bytes \d/m);
    expect(text).toContain(`hub_sync_lag_seconds{connection_id="${connectionId}",provider="partner-center"} `);
    expect(text).toContain('hub_tag_compliance_ratio{currency="USD",period="2026-10"} 0.25');
    expect(text).toContain('hub_jobs{task="partner_center:sync",state="failed"} 1');
    expect(text).toContain('hub_margin_deviation_points{group="SMB standard",currency="USD",period="2026-10"} 6.5218');
    expect(text).toContain('hub_webhook_intake_total{provider="test",result="accepted"} 1');
    expect(text).toContain('hub_webhook_intake_total{provider="test",result="refused"} 2');
    expect(text).toContain('hub_webhook_intake_total{provider="unknown",result="invalid"} 1');
    // The accepted webhook queued its job, which no worker has taken.
    expect(text).toContain('hub_jobs{task="webhook:process",state="queued"} 2');
  });

  it('needs a staff key', async () => {
    expect((await hub.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const customer = await hub.ctx.db.selectFrom('customers').select('id').executeTakeFirstOrThrow();
    expect((await send('GET', '/metrics', undefined, await hub.keyFor(['portal'], customer.id))).statusCode).toBe(403);
    expect((await send('GET', '/metrics', undefined, hub.keys.sales_ops)).statusCode).toBe(403);
  });
});

describe('GET /v1/health-metrics', () => {
  it('gives the same figures as JSON, with the vendor calls and webhook counts of the answering process', async () => {
    const res = await send('GET', '/v1/health-metrics', undefined, hub.keys.finance);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.marginVariance.find((m: { group: string }) => m.group === 'SMB standard').deviationPoints).toBe('6.5218');
    expect(body.tagCompliance[0].share).toBe('0.25');
    expect(body.syncLag[0].lagSeconds).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(body.vendorCalls)).toBe(true);
    expect(body.webhookIntake).toEqual(expect.arrayContaining([{ provider: 'test', result: 'refused', count: 2 }]));
  });
});
