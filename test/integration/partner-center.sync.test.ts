import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { connectSandbox, startSmallSandbox, usageFingerprint, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let worker: RunningWorker;
let sandbox: PartnerCenterSandbox;
const sandboxes: PartnerCenterSandbox[] = [];

beforeEach(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
});
afterEach(async () => {
  await worker.stop();
  await hub.close();
});
afterAll(async () => {
  for (const s of sandboxes) await s.close();
});

async function sandboxFor(options: Parameters<typeof startSmallSandbox>[0] = {}) {
  sandbox = await startSmallSandbox(options);
  sandboxes.push(sandbox);
  return sandbox;
}

const startSync = (connectionId: string, body: object = { kind: 'full', period: '2026-10' }) =>
  hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: body });

describe('Partner Center sync', () => {
  it('syncs customers, subscriptions and usage into the canonical tables, and a second sync adds nothing', async () => {
    const sb = await sandboxFor();
    const connectionId = await connectSandbox(hub, sb);
    const started = await startSync(connectionId);
    expect(started.statusCode).toBe(202);
    const run = await waitForRun(hub, started.json().id);
    expect(run.status).toBe('succeeded');
    expect(run.progress.customersTotal).toBe(5);
    expect(run.progress.customersDone).toBe(5);
    expect(run.progress.lines).toBeGreaterThan(0);
    expect(run.errors).toEqual([]);

    const customers = await hub.ctx.db.selectFrom('external_links').select('external_id').where('system', '=', 'partner-center').where('entity', '=', 'customer').execute();
    expect(customers.map((c) => c.external_id).sort()).toEqual(sb.portfolio.customers.map((c) => c.id.toLowerCase()).sort());
    const subscriptions = await hub.ctx.db.selectFrom('subscriptions').select(['quantity', 'billing_type']).execute();
    expect(subscriptions.length).toBeGreaterThanOrEqual(5);
    const purchases = await hub.ctx.db.selectFrom('subscription_events').select('type').where('type', '=', 'purchase').execute();
    expect(purchases.length).toBeGreaterThan(0);

    const first = await usageFingerprint(hub);
    expect(first.length).toBeGreaterThan(100);
    // October's billed lines carry their invoice number: the billed export revised the unbilled ones.
    expect(first.some((f) => f.startsWith('2026-10') && !f.endsWith('|'))).toBe(true);

    // Seat and one-time charges from the reconciliation line items, billed ones with their invoice.
    const licenses = await hub.ctx.db.selectFrom('license_lines').select(['charge_period', 'invoice_number', 'source']).execute();
    expect(licenses.length).toBeGreaterThan(0);
    expect(licenses.some((l) => l.charge_period === '2026-10' && l.invoice_number !== null && l.source === 'billed')).toBe(true);
    const licenseCount = licenses.length;

    const again = await startSync(connectionId);
    const second = await waitForRun(hub, again.json().id);
    expect(second.status).toBe('succeeded');
    expect(await usageFingerprint(hub)).toEqual(first);
    expect(await hub.ctx.db.selectFrom('license_lines').select('id').execute()).toHaveLength(licenseCount);
  });

  it('stores trials, suspended, cancelled and triennial subscriptions as Microsoft reports them, with their convert, cancelImmediate and customerCredit charges', async () => {
    const sb = await sandboxFor({ customers: 12, subscriptionsPerCustomer: 5, lifecycleShare: 1 });
    const connectionId = await connectSandbox(hub, sb);
    const run = await waitForRun(hub, (await startSync(connectionId)).json().id, 120_000);
    expect(run.status).toBe('succeeded');
    expect(run.errors).toEqual([]);

    const subscriptions = await hub.ctx.db.selectFrom('subscriptions').select(['status', 'is_trial', 'term_duration']).where('billing_type', '=', 'license').execute();
    expect(new Set(subscriptions.map((s) => s.status))).toEqual(new Set(['active', 'suspended', 'deleted', 'expired']));
    expect(subscriptions.some((s) => s.is_trial)).toBe(true);
    expect(new Set(subscriptions.map((s) => s.term_duration))).toEqual(new Set(['P1M', 'P1Y', 'P3Y']));

    const lines = await hub.ctx.db.selectFrom('license_lines').select(['charge_type', 'subtotal', 'credit_reason_code']).where('charge_period', '=', '2026-10').execute();
    const ofType = (t: string) => lines.filter((l) => l.charge_type === t);
    expect(ofType('convert').length).toBeGreaterThan(0);
    for (const l of ofType('convert')) expect(Number(l.subtotal)).toBeGreaterThan(0);
    // Refunds and credits arrive as Microsoft sends them: negative, never dropped or flipped.
    expect(ofType('cancelImmediate').length).toBeGreaterThan(0);
    for (const l of ofType('cancelImmediate')) expect(Number(l.subtotal)).toBeLessThan(0);
    expect(ofType('customerCredit').length).toBeGreaterThan(0);
    for (const l of ofType('customerCredit')) expect([Number(l.subtotal) < 0, l.credit_reason_code]).toEqual([true, 'Service level agreement credit']);
  });

  it('returns the run already in progress instead of starting the same work twice', async () => {
    const sb = await sandboxFor();
    const connectionId = await connectSandbox(hub, sb);
    await worker.stop(); // keep the run queued
    const a = await startSync(connectionId);
    const b = await startSync(connectionId);
    expect(b.json().id).toBe(a.json().id);
    worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
    expect((await waitForRun(hub, a.json().id)).status).toBe('succeeded');
  });

  it('survives a 429 on one call in five: waits, retries the same page, and lands exactly the same lines', async () => {
    const calm = await sandboxFor();
    const calmConnection = await connectSandbox(hub, calm);
    await waitForRun(hub, (await startSync(calmConnection)).json().id);
    const expected = await usageFingerprint(hub);

    await worker.stop();
    await hub.close();
    hub = await createTestHub();
    worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
    const stormy = await sandboxFor({ throttle: { everyNth: 5, everyNthRetryAfterSeconds: 1 } });
    const connectionId = await connectSandbox(hub, stormy);
    const run = await waitForRun(hub, (await startSync(connectionId)).json().id, 120_000);
    expect(run.status).toBe('succeeded');
    expect(stormy.stats().throttled).toBeGreaterThan(0);
    expect(run.progress.retries).toBe(stormy.stats().throttled);
    expect(await usageFingerprint(hub)).toEqual(expected);
  });

  it('marks a customer whose consent lapsed, raises an alert, keeps the others, and skips it until restored', async () => {
    const sb = await sandboxFor();
    const revoked = sb.portfolio.customers[2]!.id;
    sb.revokeConsent(revoked);
    // Graph still lists the relationship as active (Graph and Partner Center disagree for a
    // while): the 403 is what tells the hub, not the GDAP review.
    sb.setGdap(revoked, { status: 'active' });
    const connectionId = await connectSandbox(hub, sb);
    const run = await waitForRun(hub, (await startSync(connectionId)).json().id);
    expect(run.status).toBe('partial');
    expect(run.progress.customersDone).toBe(5);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0].message).toMatch(/consent lapsed/);

    const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', revoked.toLowerCase()).executeTakeFirstOrThrow();
    const consent = await hub.ctx.db.selectFrom('consents').selectAll().where('customer_id', '=', link.entity_id).executeTakeFirstOrThrow();
    expect(consent.status).toBe('lapsed');
    expect(consent.lapsed_at).toBeInstanceOf(Date);
    const alerts = (await hub.app.inject({ method: 'GET', url: '/v1/alerts?status=open', headers: hub.auth(hub.keys.finance) })).json().items;
    expect(alerts).toMatchObject([{ kind: 'consent.lapsed', customerId: link.entity_id, severity: 'critical' }]);
    const others = await hub.ctx.db.selectFrom('subscriptions').select('customer_id').distinct().execute();
    expect(others.map((o) => o.customer_id)).not.toContain(link.entity_id);
    expect(others).toHaveLength(4);

    const forbiddenBefore = sb.stats().forbidden;
    const next = await waitForRun(hub, (await startSync(connectionId)).json().id);
    expect(next.status).toBe('succeeded');
    expect(sb.stats().forbidden).toBe(forbiddenBefore); // not even asked

    sb.restoreConsent(revoked);
    const restore = await hub.app.inject({
      method: 'POST',
      url: `/v1/customers/${link.entity_id}/consent/restore`,
      headers: hub.auth(hub.keys.admin),
      payload: { connectionId, justification: 'GDAP relationship renewed by the customer' },
    });
    expect(restore.statusCode).toBe(200);
    await waitForRun(hub, (await startSync(connectionId)).json().id);
    const now = await hub.ctx.db.selectFrom('subscriptions').select('customer_id').distinct().execute();
    expect(now.map((o) => o.customer_id)).toContain(link.entity_id);
    const resolved = (await hub.app.inject({ method: 'GET', url: '/v1/alerts?status=open', headers: hub.auth(hub.keys.finance) })).json().items;
    expect(resolved).toEqual([]);
  });
});
