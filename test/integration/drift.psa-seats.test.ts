import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueSeatReconcile } from '../../src/jobs/connectwise/seat-reconcile.ts';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { COMPANIES, PROJECTS, startConnectWiseSandbox, type ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { connectConnectWise, linkSandboxCompanies } from '../helpers/connectwise.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// PSA agreement quantities follow the hub: a ConnectWise addition that bills another
// seat count than the hub's (Microsoft's) is drift, and the agreement is corrected only
// through the PSA seat to-do queue, never by a direct write from the drift queue.

const BP = 'CFQ7TTC0LCHC:0002';
let hub: TestHub;
let sandbox: ConnectWiseSandbox;
let customers: Awaited<ReturnType<typeof linkSandboxCompanies>>;

const call = (url: string, key: string, payload?: object, method?: 'PUT') =>
  hub.app.inject({ method: method ?? (payload ? 'POST' : 'GET'), url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const findings = async (query = '') => (await call(`/v1/drift-findings?field=psa.agreement_quantity${query}`, hub.keys.auditor)).json().items as Record<string, string | null>[];

/** Changes an addition's quantity behind the hub's back; returns ConnectWise's new lastUpdated. */
async function setQuantity(agreementId: number, additionId: number, quantity: number): Promise<string> {
  const res = await fetch(`${sandbox.url}/_sandbox/agreements/${agreementId}/additions/${additionId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ quantity }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { _info: { lastUpdated: string } })._info.lastUpdated;
}
async function additionQuantity(agreementId: number, additionId: number): Promise<number> {
  const addition = sandbox.account.agreements.get(agreementId)!.additions.get(additionId)!;
  return Number(addition.quantity);
}

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startConnectWiseSandbox({ timeEntries: 0 });
  const connectionId = await connectConnectWise(hub, sandbox);
  customers = await linkSandboxCompanies(hub, COMPANIES, PROJECTS);
  // Sandbox agreements: Contoso (250) bills 20 × M365-BP at 22 (addition 7001), Northwind (252) 5 × M365-BP (7003); Microsoft agrees with both.
  for (const [company, quantity] of [
    [250, 20],
    [252, 5],
  ] as const) {
    await hub.ctx.db
      .insertInto('subscriptions')
      .values({ customer_id: customers.get(company)!.customerId, offer_id: BP, sku_id: '0002', quantity, status: 'active', billing_type: 'license', last_synced_at: new Date('2026-12-01T06:00:00Z') })
      .execute();
  }
  const mapped = await call(`/v1/connections/${connectionId}/psa-product-mappings`, hub.keys.billing_ops, { items: [{ sku: BP, product: 'M365-BP' }] }, 'PUT');
  expect(mapped.statusCode, mapped.body).toBe(200);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

describe('seat drift against PSA agreements', () => {
  it('finds nothing while every addition bills the seats the hub holds', async () => {
    expect(await detectDrift(hub.ctx)).toEqual({ compared: 2, opened: 0, updated: 0, closed: 0 });
  });

  it('an addition changed behind the hub is one finding with both values and timestamps, the owner and 3 × 22.00 = 66.00 a month; push-owner-value goes through the seat to-do and writes once', async () => {
    const changedAt = await setQuantity(501, 7001, 17);
    expect(await detectDrift(hub.ctx)).toEqual({ compared: 2, opened: 1, updated: 0, closed: 0 });
    const [finding] = await findings();
    expect(finding).toMatchObject({
      customerId: customers.get(250)!.customerId,
      system: 'connectwise',
      subject: `sku:${BP}`,
      owner: 'hub',
      ownerValue: '20',
      otherValue: '17',
      moneyAtStakePerMonth: '66.00',
      currency: 'USD',
      status: 'open',
    });
    expect(new Date(finding!.ownerSeenAt!).toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(new Date(finding!.otherSeenAt!).toISOString()).toBe(new Date(changedAt).toISOString());

    // The hub's seats are Microsoft's: only an order changes them.
    const accept = await call(`/v1/drift-findings/${finding!.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'the PSA says 17' });
    expect(accept.statusCode).toBe(409);
    expect(accept.json().detail).toMatch(/the PSA does not own psa.agreement_quantity \(the hub does\).*subscription order/);

    const writesBefore = sandbox.stats().writes;
    const push = await call(`/v1/drift-findings/${finding!.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'bill what Microsoft bills us' });
    expect(push.statusCode, push.body).toBe(200);
    const todos = (await call('/v1/psa-todos', hub.keys.auditor)).json().items as { id: string; sku: string; kind: string; customerId: string }[];
    const todo = todos.find((t) => t.customerId === customers.get(250)!.customerId && t.sku === BP)!;
    expect(todo).toMatchObject({ kind: 'increase' });
    expect(push.json()).toMatchObject({ status: 'awaiting-approval', resolution: 'push-owner-value' });
    expect(push.json().resolutionNote).toContain(`PSA seat to-do ${todo.id}`);
    // Nothing is written until the to-do is approved.
    await work();
    expect(sandbox.stats().writes - writesBefore).toBe(0);
    expect(await additionQuantity(501, 7001)).toBe(17);

    const approve = await call(`/v1/psa-todos/${todo.id}/approve`, hub.keys.sales_ops, {});
    expect(approve.statusCode, approve.body).toBe(200);
    await work();
    expect(await additionQuantity(501, 7001)).toBe(20);
    // Two drift and reconcile cycles after the write: no second write, no new finding.
    for (let cycle = 0; cycle < 2; cycle++) {
      const summary = await detectDrift(hub.ctx);
      expect(summary).toMatchObject({ opened: 0, updated: 0 });
      await enqueueSeatReconcile(hub.ctx, (await hub.ctx.db.selectFrom('connections').select('id').where('provider', '=', 'connectwise').executeTakeFirstOrThrow()).id);
      await work();
    }
    expect(sandbox.stats().writes - writesBefore).toBe(1);
    expect((await findings()).find((f) => f.id === finding!.id)).toMatchObject({ status: 'resolved' });
    expect(await findings('&status=open')).toEqual([]);
  });

  it('ignore keeps the finding closed while the values stay what was ignored', async () => {
    await setQuantity(501, 7001, 22);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [finding] = await findings('&status=open');
    // Two seats too many at 22.00: 44.00 a month.
    expect(finding).toMatchObject({ ownerValue: '20', otherValue: '22', moneyAtStakePerMonth: '44.00' });
    const ignore = await call(`/v1/drift-findings/${finding!.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: 'two spare seats for new starters' });
    expect(ignore.statusCode, ignore.body).toBe(200);
    expect(ignore.json()).toMatchObject({ status: 'ignored', resolutionNote: 'two spare seats for new starters' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    await setQuantity(501, 7001, 20);
  });

  it('a difference that goes away by itself closes with that noted', async () => {
    await setQuantity(503, 7003, 6);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [finding] = await findings('&status=open');
    expect(finding).toMatchObject({ customerId: customers.get(252)!.customerId, ownerValue: '5', otherValue: '6', moneyAtStakePerMonth: '22.00' });
    await setQuantity(503, 7003, 5);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, closed: 1 });
    const closed = (await findings()).find((f) => f.id === finding!.id);
    expect(closed).toMatchObject({ status: 'closed', resolution: 'disappeared', resolutionNote: 'the values agree again without a resolution in the hub' });
  });

  it('takes the owner from the field-ownership table: with the PSA as owner, push-owner-value is refused and accept-other-value goes through the seat to-do', async () => {
    const owner = await call('/v1/field-owners/psa.agreement_quantity', hub.keys.admin, { owner: 'psa', reason: 'the service desk decides billed seats' }, 'PUT');
    expect(owner.statusCode, owner.body).toBe(200);
    const changedAt = await setQuantity(503, 7003, 3);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [finding] = await findings('&status=open');
    expect(finding).toMatchObject({ owner: 'psa', ownerValue: '3', otherValue: '5', moneyAtStakePerMonth: '44.00' });
    expect(new Date(finding!.ownerSeenAt!).toISOString()).toBe(new Date(changedAt).toISOString());
    const push = await call(`/v1/drift-findings/${finding!.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'the PSA says 3' });
    expect(push.statusCode).toBe(409);
    expect(push.json().detail).toMatch(/owned by the PSA.*subscription order/);
    const accept = await call(`/v1/drift-findings/${finding!.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'Microsoft bills 5' });
    expect(accept.statusCode, accept.body).toBe(200);
    expect(accept.json()).toMatchObject({ status: 'awaiting-approval' });
    expect(accept.json().resolutionNote).toMatch(/PSA seat to-do [0-9a-f-]{36}: approve it/);
  });
});
