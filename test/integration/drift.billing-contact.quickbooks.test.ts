import { readFileSync } from 'node:fs';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { connectQuickBooksSandbox } from '../helpers/erp-connections.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The CRM owns the billing contact and address (field_owners defaults); the QuickBooks
// Online customer keeps a copy: GivenName, FamilyName, PrimaryEmailAddr.Address and
// BillAddr (Line1, Line2, City, CountrySubDivisionCode, PostalCode, Country), updated by
// Id + SyncToken with `sparse: true` (test/fixtures/vendor/quickbooks/customer.json).
// Contoso's company in the HubSpot sandbox (catalog): Megan Bowen, ap@contoso.example,
// 12 Harbour Street, Floor 3, Seattle WA 98101, United States; created 2026-11-02T09:00Z.

const vendor = JSON.parse(readFileSync(new URL('../fixtures/vendor/quickbooks/customer.json', import.meta.url), 'utf8')) as { billingFields: string[] };
const QBO_NOW = new Date('2026-12-05T10:00:00.000Z');
let hubspot: HubSpotSandbox;
let qbo: QuickBooksSandbox;
let hub: TestHub;
let customerId = '';
let qboId = '';

const call = async (url: string, key: string, payload?: object) => hub.app.inject({ method: payload ? 'POST' : 'GET', url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const contactFindings = async (query = '') => [
  ...(await call(`/v1/drift-findings?system=quickbooks&field=customer.billing_contact${query}`, hub.keys.auditor)).json().items,
  ...(await call(`/v1/drift-findings?system=quickbooks&field=customer.billing_address${query}`, hub.keys.auditor)).json().items,
];
const editCustomer = async (fields: object) => {
  const res = await fetch(`${qbo.url}/_sandbox/customers/${qboId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  expect(res.status).toBe(200);
};
const billAddr = (city: string) => ({ Id: '7', Line1: '12 Harbour Street', Line2: 'Floor 3', City: city, CountrySubDivisionCode: 'WA', PostalCode: '98101', Country: 'United States' });

beforeAll(async () => {
  hubspot = await startHubSpotSandbox();
  qbo = await startQuickBooksSandbox({ now: () => QBO_NOW });
  hub = await createTestHub();
  const hubspotConnection = await connectHubSpotSandbox(hub, hubspot);
  await hubspot.winDeal('9001');
  const quoted = await quoteToCash({ connectionId: hubspotConnection, dealId: '9001' }, hub.ctx);
  if (quoted.outcome !== 'quoted') throw new Error(JSON.stringify(quoted));
  const card = await hub.ctx.db.selectFrom('rate_cards').select('customer_id').where('id', '=', quoted.rateCardId).executeTakeFirstOrThrow();
  customerId = String(card.customer_id);
  await connectQuickBooksSandbox(hub, qbo);
  // The customer as someone filled it in QuickBooks from the CRM's billing details, linked in the identity map as the posting job links it.
  const customer = qbo.company.createCustomer({ DisplayName: 'Contoso Ltd', GivenName: 'Megan', FamilyName: 'Bowen', PrimaryEmailAddr: { Address: 'ap@contoso.example' }, BillAddr: billAddr('Seattle') });
  qboId = String(customer.Id);
  await hub.ctx.db.insertInto('external_links').values({ entity: 'customer', entity_id: customerId, system: 'quickbooks', external_id: qboId }).execute();
}, 60_000);
afterAll(async () => {
  await hub.close();
  await hubspot.close();
  await qbo.close();
});

describe('billing contact and address drift against the QuickBooks customer', () => {
  it("the connection's quickbooks customer mapping sends every billing field of the QuickBooks Customer by default", async () => {
    const connection = (await hub.ctx.db.selectFrom('connections').select('id').where('provider', '=', 'quickbooks').executeTakeFirstOrThrow()).id;
    const res = await call(`/v1/connections/${connection}/mappings/customer`, hub.keys.admin);
    expect(res.statusCode, res.body).toBe(200);
    const targets = (res.json().rules as { target: string }[]).map((r) => r.target);
    expect(targets).toEqual(expect.arrayContaining(vendor.billingFields.map((f) => `Customer.${f}`)));
  });

  it('finds nothing while the QuickBooks customer carries what the CRM says', async () => {
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    expect(await contactFindings()).toEqual([]);
  });

  it('a customer changed in QuickBooks behind the hub’s back is one finding per differing field, with both values and both timestamps; a second run only refreshes them', async () => {
    await editCustomer({ PrimaryEmailAddr: { Address: 'billing@contoso.example' }, BillAddr: billAddr('Tacoma') });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 2 });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 2 });
    const found = await contactFindings('&status=open');
    expect(found.map((f: Record<string, unknown>) => [f.field, f.subject, f.owner, f.system, f.ownerValue, f.otherValue, f.ownerSeenAt, f.otherSeenAt, f.moneyAtStakePerMonth])).toEqual([
      ['customer.billing_contact', 'customer:PrimaryEmailAddr.Address', 'crm', 'quickbooks', 'ap@contoso.example', 'billing@contoso.example', '2026-11-02T09:00:00.000Z', '2026-12-05T10:00:00.000Z', null],
      ['customer.billing_address', 'customer:BillAddr.City', 'crm', 'quickbooks', 'Seattle', 'Tacoma', '2026-11-02T09:00:00.000Z', '2026-12-05T10:00:00.000Z', null],
    ]);
  });

  it("push-owner-value writes the CRM's e-mail to QuickBooks once, as a sparse update with the SyncToken: two sync cycles later QuickBooks was written once and HubSpot not at all", async () => {
    const [email] = await contactFindings('&status=open');
    const token = qbo.company.customers.get(qboId)!.SyncToken;
    const before = { quickbooks: qbo.stats().writes, hubspot: hubspot.stats().writes };
    const push = await call(`/v1/drift-findings/${email.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'invoices go to accounts payable' });
    expect(push.statusCode, push.body).toBe(200);
    expect(push.json().status).toBe('resolving');
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    }
    expect({ quickbooks: qbo.stats().writes - before.quickbooks, hubspot: hubspot.stats().writes - before.hubspot }).toEqual({ quickbooks: 1, hubspot: 0 });
    // Sparse: the fields not sent (names, the edited address) are kept; SyncToken moved on by one.
    expect(qbo.company.customers.get(qboId)).toMatchObject({ PrimaryEmailAddr: { Address: 'ap@contoso.example' }, GivenName: 'Megan', BillAddr: { City: 'Tacoma' }, SyncToken: String(Number(token) + 1) });
    const ledger = await hub.ctx.db.selectFrom('sync_writes').select(['object', 'external_id', 'before', 'after', 'origin']).execute();
    expect(ledger).toEqual([{ object: 'customers', external_id: qboId, before: { 'PrimaryEmailAddr.Address': 'billing@contoso.example' }, after: { 'PrimaryEmailAddr.Address': 'ap@contoso.example' }, origin: `hub:drift:${email.id}` }]);
    expect((await contactFindings()).find((f: { id: string }) => f.id === email.id)).toMatchObject({ status: 'resolved' });
  });

  it("accept-other-value makes the CRM (the owner) take QuickBooks' city, once, and QuickBooks is not written", async () => {
    const [city] = await contactFindings('&status=open');
    expect(city.subject).toBe('customer:BillAddr.City');
    const before = { quickbooks: qbo.stats().writes, hubspot: hubspot.stats().writes };
    const accept = await call(`/v1/drift-findings/${city.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'the customer moved to Tacoma' });
    expect(accept.statusCode, accept.body).toBe(200);
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    }
    expect({ quickbooks: qbo.stats().writes - before.quickbooks, hubspot: hubspot.stats().writes - before.hubspot }).toEqual({ quickbooks: 0, hubspot: 1 });
    const company = await fetch(`${hubspot.url}/crm/v3/objects/companies/3001?properties=city,address`, { headers: { authorization: `Bearer ${hubspot.credentials.privateAppToken}` } });
    expect(((await company.json()) as { properties: Record<string, string> }).properties).toMatchObject({ city: 'Tacoma', address: '12 Harbour Street' });
    expect(await contactFindings('&status=open')).toEqual([]);
  });

  it('ignore needs a reason and keeps the difference quiet while both values stay what was ignored', async () => {
    await editCustomer({ GivenName: 'Meg' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [first] = await contactFindings('&status=open');
    expect(first).toMatchObject({ subject: 'customer:GivenName', ownerValue: 'Megan', otherValue: 'Meg' });
    expect((await call(`/v1/drift-findings/${first.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: '' })).statusCode).toBe(400);
    expect((await call(`/v1/drift-findings/${first.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: 'she signs as Meg' })).statusCode).toBe(200);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    expect(await contactFindings('&status=open')).toEqual([]);
  });
});
