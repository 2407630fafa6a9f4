import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectDrift } from '../../src/jobs/drift/detect.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { connectXeroSandbox } from '../helpers/erp-connections.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The CRM owns the billing contact and address (field_owners defaults). Drift detection
// reads the HubSpot company through its company mapping, turns it into the Xero contact
// the contact mapping would send, and compares field by field with the Xero contact.
// Contoso's company in the HubSpot sandbox (catalog): Megan Bowen, ap@contoso.example,
// 12 Harbour Street, Floor 3, Seattle WA 98101, United States; created 2026-11-02T09:00Z.

const XERO_NOW = new Date('2026-12-05T10:00:00.000Z');
let hubspot: HubSpotSandbox;
let xero: XeroSandbox;
let hub: TestHub;
let customerId = '';
let contactId = '';

const call = async (url: string, key: string, payload?: object) => hub.app.inject({ method: payload ? 'POST' : 'GET', url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const contactFindings = async (query = '') => [
  ...(await call(`/v1/drift-findings?field=customer.billing_contact${query}`, hub.keys.auditor)).json().items,
  ...(await call(`/v1/drift-findings?field=customer.billing_address${query}`, hub.keys.auditor)).json().items,
];
const editXeroContact = async (fields: object) => {
  const res = await fetch(`${xero.url}/_sandbox/contacts/${contactId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fields) });
  expect(res.status).toBe(200);
};
const postal = (city: string) => ({ AddressType: 'POBOX', AddressLine1: '12 Harbour Street', AddressLine2: 'Floor 3', City: city, Region: 'WA', PostalCode: '98101', Country: 'United States' });

beforeAll(async () => {
  hubspot = await startHubSpotSandbox();
  xero = await startXeroSandbox({ now: () => XERO_NOW });
  hub = await createTestHub();
  const hubspotConnection = await connectHubSpotSandbox(hub, hubspot);
  await hubspot.winDeal('9001');
  const quoted = await quoteToCash({ connectionId: hubspotConnection, dealId: '9001' }, hub.ctx);
  if (quoted.outcome !== 'quoted') throw new Error(JSON.stringify(quoted));
  const card = await hub.ctx.db.selectFrom('rate_cards').select('customer_id').where('id', '=', quoted.rateCardId).executeTakeFirstOrThrow();
  customerId = String(card.customer_id);
  await connectXeroSandbox(hub, xero);
  // The contact as the posting job left it: the CRM's billing details, the hub id as ContactNumber, linked in the identity map.
  const contact = xero.organisation.createContact({ Name: 'Contoso Ltd', ContactNumber: customerId, FirstName: 'Megan', LastName: 'Bowen', EmailAddress: 'ap@contoso.example', Addresses: [postal('Seattle')] });
  contactId = String(contact.ContactID);
  await hub.ctx.db.insertInto('external_links').values({ entity: 'customer', entity_id: customerId, system: 'xero', external_id: contactId }).execute();
}, 60_000);
afterAll(async () => {
  await hub.close();
  await hubspot.close();
  await xero.close();
});

describe('billing contact and address drift against the Xero contact', () => {
  it('finds nothing while the Xero contact carries what the CRM says', async () => {
    await detectDrift(hub.ctx);
    expect(await contactFindings()).toEqual([]);
  });

  it('a contact changed in Xero behind the hub’s back is one finding per differing field, with both values and both timestamps; a second run only refreshes them', async () => {
    await editXeroContact({ EmailAddress: 'billing@contoso.example', Addresses: [postal('Tacoma')] });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 2 });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0, updated: 2 });
    const found = await contactFindings('&status=open');
    expect(found.map((f: Record<string, unknown>) => [f.field, f.subject, f.owner, f.system, f.ownerValue, f.otherValue, f.ownerSeenAt, f.otherSeenAt, f.moneyAtStakePerMonth])).toEqual([
      ['customer.billing_contact', 'contact:EmailAddress', 'crm', 'xero', 'ap@contoso.example', 'billing@contoso.example', '2026-11-02T09:00:00.000Z', '2026-12-05T10:00:00.000Z', null],
      ['customer.billing_address', 'contact:postalAddress.City', 'crm', 'xero', 'Seattle', 'Tacoma', '2026-11-02T09:00:00.000Z', '2026-12-05T10:00:00.000Z', null],
    ]);
  });

  it("push-owner-value writes the CRM's e-mail to Xero once: two sync cycles later Xero was written once and HubSpot not at all", async () => {
    const [email] = await contactFindings('&status=open');
    const before = { xero: xero.stats().writes, hubspot: hubspot.stats().writes };
    const push = await call(`/v1/drift-findings/${email.id}/resolve`, hub.keys.finance, { action: 'push-owner-value', reason: 'invoices go to accounts payable' });
    expect(push.statusCode, push.body).toBe(200);
    expect(push.json().status).toBe('resolving');
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    }
    expect({ xero: xero.stats().writes - before.xero, hubspot: hubspot.stats().writes - before.hubspot }).toEqual({ xero: 1, hubspot: 0 });
    expect(xero.organisation.contacts.get(contactId)).toMatchObject({ EmailAddress: 'ap@contoso.example', FirstName: 'Megan' });
    const ledger = await hub.ctx.db.selectFrom('sync_writes').select(['object', 'external_id', 'before', 'after', 'origin']).execute();
    expect(ledger).toEqual([{ object: 'contacts', external_id: contactId, before: { EmailAddress: 'billing@contoso.example' }, after: { EmailAddress: 'ap@contoso.example' }, origin: `hub:drift:${email.id}` }]);
    expect((await contactFindings()).find((f: { id: string }) => f.id === email.id)).toMatchObject({ status: 'resolved' });
  });

  it("accept-other-value makes the CRM (the owner) take Xero's city, once, and Xero is not written", async () => {
    const [city] = await contactFindings('&status=open');
    expect(city.subject).toBe('contact:postalAddress.City');
    const before = { xero: xero.stats().writes, hubspot: hubspot.stats().writes };
    const accept = await call(`/v1/drift-findings/${city.id}/resolve`, hub.keys.finance, { action: 'accept-other-value', reason: 'the customer moved to Tacoma' });
    expect(accept.statusCode, accept.body).toBe(200);
    for (let cycle = 0; cycle < 2; cycle++) {
      await work();
      expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    }
    expect({ xero: xero.stats().writes - before.xero, hubspot: hubspot.stats().writes - before.hubspot }).toEqual({ xero: 0, hubspot: 1 });
    const company = await fetch(`${hubspot.url}/crm/v3/objects/companies/3001?properties=city,address`, { headers: { authorization: `Bearer ${hubspot.credentials.privateAppToken}` } });
    expect(((await company.json()) as { properties: Record<string, string> }).properties).toMatchObject({ city: 'Tacoma', address: '12 Harbour Street' });
    expect(await contactFindings('&status=open')).toEqual([]);
  });

  it('ignore needs a reason and keeps the difference quiet while both values stay what was ignored', async () => {
    await editXeroContact({ FirstName: 'Meg' });
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 1 });
    const [first] = await contactFindings('&status=open');
    expect(first).toMatchObject({ subject: 'contact:FirstName', ownerValue: 'Megan', otherValue: 'Meg' });
    expect((await call(`/v1/drift-findings/${first.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: '' })).statusCode).toBe(400);
    expect((await call(`/v1/drift-findings/${first.id}/resolve`, hub.keys.finance, { action: 'ignore', reason: 'she signs as Meg' })).statusCode).toBe(200);
    expect(await detectDrift(hub.ctx)).toMatchObject({ opened: 0 });
    expect(await contactFindings('&status=open')).toEqual([]);
  });
});
