import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Microsoft owns seat counts: the CRM's seat lines are compared with the active
// subscriptions of the same SKU, and the hub pushes Microsoft's count, never the reverse.

let sandbox: HubSpotSandbox;
let hub: TestHub;
let customerId = '';

const call = async (url: string, key: string, payload?: object) => hub.app.inject({ method: payload ? 'POST' : 'GET', url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const lineQuantity = async (id: string) => {
  const res = await fetch(`${sandbox.url}/crm/v3/objects/line_items/${id}?properties=quantity`, { headers: { authorization: `Bearer ${sandbox.credentials.privateAppToken}` } });
  return ((await res.json()) as { properties: Record<string, string | null> }).properties.quantity;
};

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub();
  const connectionId = await connectHubSpotSandbox(hub, sandbox);
  // Contoso's deal sells 25 Business Premium seats at 22.00 − 1.00 = 21.00 (line 7001), and its card is approved at that price.
  await sandbox.winDeal('9001');
  const quoted = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
  if (quoted.outcome !== 'quoted') throw new Error(JSON.stringify(quoted));
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
    const res = await call(`/v1/rate-cards/${quoted.rateCardId}/versions/1/approve`, key, {});
    expect(res.statusCode, res.body).toBe(200);
  }
  const card = await hub.ctx.db.selectFrom('rate_cards').select('customer_id').where('id', '=', quoted.rateCardId).executeTakeFirstOrThrow();
  customerId = String(card.customer_id);
}, 60_000);
afterAll(async () => {
  await hub.close();
  await sandbox.close();
});

describe('seat count drift against the CRM', () => {
  it("compares nothing while Microsoft holds no subscription for the line's SKU", async () => {
    expect(await detectDrift(hub.ctx)).toEqual({ compared: 4, opened: 0, updated: 0, closed: 0 });
  });

  it("a CRM quantity below Microsoft's seats is one finding priced at the card's seat price; push-owner-value writes the quantity once", async () => {
    // Microsoft: 20 + 8 = 28 Business Premium seats on two active subscriptions; a suspended one does not count.
    await hub.ctx.db
      .insertInto('subscriptions')
      .values([
        { customer_id: customerId, offer_id: 'CFQ7TTC0LCHC:0002:0001', quantity: 20, status: 'active', last_synced_at: '2026-12-01T06:00:00Z' },
        { customer_id: customerId, offer_id: 'CFQ7TTC0LCHC:0002:0001', quantity: 8, status: 'active', last_synced_at: '2026-12-02T06:00:00Z' },
        { customer_id: customerId, offer_id: 'CFQ7TTC0LCHC:0002:0001', quantity: 50, status: 'suspended' },
      ])
      .execute();
    expect(await detectDrift(hub.ctx)).toEqual({ compared: 5, opened: 1, updated: 0, closed: 0 });
    const [finding] = (await call('/v1/drift-findings?field=subscription.seats', hub.keys.auditor)).json().items;
    // 3 seats short × 21.00 a month = 63.00 a month.
    expect(finding).toMatchObject({
      system: 'hubspot',
      subject: 'sku:CFQ7TTC0LCHC:0002',
      owner: 'microsoft',
      ownerValue: '28',
      otherValue: '25',
      moneyAtStakePerMonth: '63.00',
      currency: 'USD',
      status: 'open',
    });
    expect(new Date(finding.ownerSeenAt).toISOString()).toBe('2026-12-02T06:00:00.000Z');

    const accept = await call(`/v1/drift-findings/${finding.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'the CRM is right' });
    expect(accept.statusCode).toBe(409);
    expect(accept.json().detail).toMatch(/owned by Microsoft/);

    const writesBefore = sandbox.stats().writes;
    const push = await call(`/v1/drift-findings/${finding.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'bill what Microsoft bills us' });
    expect(push.statusCode, push.body).toBe(200);
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 0 });
    }
    expect(sandbox.stats().writes - writesBefore).toBe(1);
    expect(Number(await lineQuantity('7001'))).toBe(28);
    const ledger = await hub.ctx.db.selectFrom('sync_writes').select(['external_id', 'before', 'after']).execute();
    expect(ledger).toEqual([{ external_id: '7001', before: { quantity: '25' }, after: { quantity: '28' } }]);
    expect((await call(`/v1/drift-findings?field=subscription.seats`, hub.keys.auditor)).json().items[0]).toMatchObject({ id: finding.id, status: 'resolved' });
  });

  it('takes the owner from the field-ownership table: with the CRM as owner the finding names it, push-owner-value is refused and accept-other-value writes the CRM once', async () => {
    const owner = await hub.app.inject({ method: 'PUT', url: '/v1/field-owners/subscription.seats', headers: hub.auth(hub.keys.admin), payload: { owner: 'crm', reason: 'sales decides seat counts here' } });
    expect(owner.statusCode, owner.body).toBe(200);
    // Microsoft adds 2 seats (28 → 30); the CRM line still says 28: 2 × 21.00 = 42.00 a month.
    await hub.ctx.db.insertInto('subscriptions').values({ customer_id: customerId, offer_id: 'CFQ7TTC0LCHC:0002:0001', quantity: 2, status: 'active', last_synced_at: '2026-12-03T06:00:00Z' }).execute();
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [finding] = (await call('/v1/drift-findings?field=subscription.seats&status=open', hub.keys.auditor)).json().items;
    expect(finding).toMatchObject({ owner: 'crm', ownerValue: '28', otherValue: '30', moneyAtStakePerMonth: '42.00', status: 'open' });
    expect(new Date(finding.otherSeenAt).toISOString()).toBe('2026-12-03T06:00:00.000Z');

    const push = await call(`/v1/drift-findings/${finding.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'the CRM says 28' });
    expect(push.statusCode).toBe(409);
    expect(push.json().detail).toMatch(/owned by the crm, but Microsoft's seats change only through a subscription order/);

    const writesBefore = sandbox.stats().writes;
    const accept = await call(`/v1/drift-findings/${finding.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'Microsoft bills 30' });
    expect(accept.statusCode, accept.body).toBe(200);
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 0 });
    }
    expect(sandbox.stats().writes - writesBefore).toBe(1);
    expect(Number(await lineQuantity('7001'))).toBe(30);
    expect((await call(`/v1/drift-findings?field=subscription.seats&status=resolved`, hub.keys.auditor)).json().items.map((f: { id: string }) => f.id)).toContain(finding.id);
  });
});
