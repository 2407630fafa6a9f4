import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let sandbox: HubSpotSandbox;
let hub: TestHub;
let connectionId = '';
let cardId = '';

const call = async (method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const findings = async (query = '') => (await call('GET', `/v1/drift-findings${query}`, hub.keys.auditor)).json().items;
const lineItem = async (id: string) => {
  const res = await fetch(`${sandbox.url}/crm/v3/objects/line_items/${id}?properties=price`, { headers: { authorization: `Bearer ${sandbox.credentials.privateAppToken}` } });
  return ((await res.json()) as { properties: Record<string, string | null> }).properties;
};
const versionsOfCard = async () => hub.ctx.db.selectFrom('rate_card_versions').select(['version', 'status']).where('rate_card_id', '=', cardId).orderBy('version').execute();

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub();
  connectionId = await connectHubSpotSandbox(hub, sandbox);
  // Contoso's deal is won and its rate card approved: compute at 15 % on cost, storage at 20 %.
  await sandbox.winDeal('9001');
  const quoted = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
  if (quoted.outcome !== 'quoted') throw new Error(JSON.stringify(quoted));
  cardId = quoted.rateCardId;
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
    const res = await call('POST', `/v1/rate-cards/${cardId}/versions/1/approve`, key, {});
    expect(res.statusCode, res.body).toBe(200);
  }
}, 60_000);
afterAll(async () => {
  await hub.close();
  await sandbox.close();
});

describe('field ownership and drift', () => {
  it('lists the documented owners and lets an admin change one among the systems that hold the field', async () => {
    const owners = (await call('GET', '/v1/field-owners', hub.keys.auditor)).json().items;
    expect(owners.map((o: { field: string; owner: string; approval: string }) => [o.field, o.owner, o.approval])).toEqual([
      ['customer.billing_address', 'crm', 'none'],
      ['customer.billing_contact', 'crm', 'none'],
      ['erp.customer_id', 'erp', 'none'],
      ['psa.agreement_quantity', 'hub', 'approval-queue'],
      ['rate_card.markup_percent', 'hub', 'rate-card-dual-approval'],
      ['rate_card.unit_price', 'hub', 'rate-card-dual-approval'],
      ['subscription.seats', 'microsoft', 'none'],
    ]);
    const wrong = await call('PUT', '/v1/field-owners/erp.customer_id', hub.keys.admin, { owner: 'crm', reason: 'x' });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().detail).toBe('owner: erp.customer_id is held by erp, hub: its owner must be one of them');
    const changed = await call('PUT', '/v1/field-owners/customer.billing_contact', hub.keys.admin, { owner: 'erp', reason: 'finance keeps contacts in the ERP' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ field: 'customer.billing_contact', owner: 'erp' });
    expect((await call('PUT', '/v1/field-owners/customer.billing_contact', hub.keys.finance, { owner: 'crm', reason: 'x' })).statusCode).toBe(403);
  });

  it('finds nothing while the CRM agrees with the approved rate card', async () => {
    expect(await detectDrift(hub.ctx)).toEqual({ compared: 4, opened: 0, updated: 0, closed: 0 });
    expect(await findings()).toEqual([]);
  });

  it('a margin changed in the CRM raises exactly one finding with the money at stake; push-owner-value writes the hub value back once; the next run finds nothing', async () => {
    // Someone raises the compute line from 1,150 to 1,200 in HubSpot: 20 % on the 1,000 cost instead of the card's 15 %.
    sandbox.editObject('line_items', '7003', { price: '1200.00' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 1 });
    const open = await findings('?status=open');
    expect(open).toHaveLength(1);
    // 5 points of markup on 1,000 of Azure cost a month = 50.00 a month.
    expect(open[0]).toMatchObject({
      system: 'hubspot',
      field: 'rate_card.markup_percent',
      subject: 'category:compute',
      owner: 'hub',
      ownerValue: '15',
      otherValue: '20',
      moneyAtStakePerMonth: '50.00',
      currency: 'USD',
      status: 'open',
      vendorRef: { object: 'line_items', id: '7003' },
    });
    expect(open[0].ownerSeenAt).not.toBeNull();
    expect(open[0].otherSeenAt).not.toBeNull();
    expect(await findings('?field=rate_card.unit_price')).toEqual([]);

    const writesBefore = sandbox.stats().writes;
    const resolved = await call('POST', `/v1/drift-findings/${open[0].id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'the contract says 15 %' });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'resolving', resolution: 'push-owner-value' });
    const twice = await call('POST', `/v1/drift-findings/${open[0].id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'again' });
    expect(twice.statusCode).toBe(409);

    // Two full cycles (worker, then a drift run): HubSpot is written once, the hub not at all.
    const versionsBefore = await versionsOfCard();
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 0 });
    }
    expect(sandbox.stats().writes - writesBefore).toBe(1);
    expect(await lineItem('7003')).toMatchObject({ price: '1150' });
    expect(await versionsOfCard()).toEqual(versionsBefore);
    expect((await findings())[0]).toMatchObject({ id: open[0].id, status: 'resolved' });
    const ledger = await hub.ctx.db.selectFrom('sync_writes').select(['object', 'external_id', 'origin', 'before', 'after']).execute();
    expect(ledger).toEqual([
      { object: 'line_items', external_id: '7003', origin: `hub:drift:${open[0].id}`, before: { price: '1200.00', discount: null, hs_discount_percentage: null }, after: { price: '1150', discount: '0', hs_discount_percentage: '0' } },
    ]);
    const audit = await hub.ctx.db.selectFrom('audit_log').select(['action', 'justification']).where('entity', '=', 'drift_finding').where('entity_id', '=', open[0].id).orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['drift.open', 'drift.push-owner-value', 'drift.pushed']);
  });

  it('accept-other-value takes the CRM price through a new rate card version with dual approval; the finding resolves once it is approved', async () => {
    // Storage raised from 240 to 250 on a 200 cost: 25 % instead of 20 %, 10.00 a month.
    sandbox.editObject('line_items', '7004', { price: '250.00' });
    await detectDrift(hub.ctx);
    const [finding] = await findings('?status=open');
    expect(finding).toMatchObject({ subject: 'category:storage', ownerValue: '20', otherValue: '25', moneyAtStakePerMonth: '10.00' });
    const res = await call('POST', `/v1/drift-findings/${finding.id}/resolve`, hub.keys.sales_ops, { action: 'accept-other-value', reason: 'renegotiated in November' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().status).toBe('awaiting-approval');
    expect(await versionsOfCard()).toEqual([
      { version: 1, status: 'approved' },
      { version: 2, status: 'pending' },
    ]);
    // Pending prices nothing: the difference stays until both approvals are in.
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, closed: 0 });
    const secondSalesOps = await hub.keyFor(['sales_ops']);
    for (const key of [secondSalesOps, hub.keys.finance]) {
      const approved = await call('POST', `/v1/rate-cards/${cardId}/versions/2/approve`, key, {});
      expect(approved.statusCode, approved.body).toBe(200);
    }
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, closed: 1 });
    expect((await findings()).find((f: { id: string }) => f.id === finding.id)).toMatchObject({ status: 'resolved', resolution: 'accept-other-value' });
  });

  it('ignore needs a reason; a difference that goes away by itself closes with that noted', async () => {
    sandbox.editObject('line_items', '7001', { discount: '2.00' });
    await detectDrift(hub.ctx);
    const [seat] = await findings('?field=rate_card.unit_price&status=open');
    // 25 seats at 22.00 − 2.00 = 20.00 against the card's 21.00: 25.00 a month.
    expect(seat).toMatchObject({ subject: 'sku:CFQ7TTC0LCHC:0002', ownerValue: '21', otherValue: '20', moneyAtStakePerMonth: '25.00' });
    expect((await call('POST', `/v1/drift-findings/${seat.id}/resolve`, hub.keys.finance, { action: 'ignore' })).statusCode).toBe(400);
    // A second seat line discounted 10 % instead of 5 %: 36.00 × 0.9 = 32.40 against 34.20, 10 seats = 18.00 a month; ignored, it stays ignored.
    sandbox.editObject('line_items', '7002', { hs_discount_percentage: '10' });
    await detectDrift(hub.ctx);
    const e3 = (await findings('?field=rate_card.unit_price&status=open')).find((f: { subject: string }) => f.subject === 'sku:CFQ7TTC0LFLX:0001');
    expect(e3).toMatchObject({ ownerValue: '34.2', otherValue: '32.4', moneyAtStakePerMonth: '18.00' });
    const ignored = await call('POST', `/v1/drift-findings/${e3.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: 'loyalty discount until March' });
    expect(ignored.json()).toMatchObject({ status: 'ignored', resolution: 'ignore', resolutionNote: 'loyalty discount until March' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    sandbox.editObject('line_items', '7001', { discount: '1.00' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ closed: 1 });
    expect((await findings()).find((f: { id: string }) => f.id === seat.id)).toMatchObject({ status: 'closed', resolution: 'disappeared', resolutionNote: 'the values agree again without a resolution in the hub' });
  });
});
