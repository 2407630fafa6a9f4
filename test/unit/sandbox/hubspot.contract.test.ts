import fastify, { type FastifyInstance } from 'fastify';
import { Client } from '@hubspot/api-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { hubspotCrm as facts, hubspotSign } from '../../helpers/hubspot-vendor.ts';

let sandbox: HubSpotSandbox;
let receiver: FastifyInstance;
const received: { headers: Record<string, unknown>; body: string; url: string }[] = [];
let receiverUrl = '';

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  receiver = fastify();
  receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  receiver.post('/webhooks/hubspot', async (req, reply) => {
    received.push({ headers: req.headers, body: req.body as string, url: req.url });
    return reply.code(204).send();
  });
  await receiver.listen({ host: '127.0.0.1', port: 0 });
  const address = receiver.server.address();
  receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/hubspot`;
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(sandbox.url + path, { ...init, headers: { authorization: `Bearer ${sandbox.credentials.privateAppToken}`, 'content-type': 'application/json', ...init.headers } });

// Vendor payloads are checked field by field below, so they are read untyped.
const json = async (path: string, init: RequestInit = {}): Promise<any> => (await api(path, init)).json();

function expectEnvelope(object: Record<string, unknown>, properties: string[]) {
  for (const [field, type] of Object.entries(facts.objectEnvelope)) {
    if (type === 'date-time') expect(new Date(object[field] as string).toISOString(), field).toBe(object[field]);
    else if (type === 'object') expect(typeof object[field], field).toBe('object');
    else expect(typeof object[field], field).toBe(type);
  }
  const props = object.properties as Record<string, unknown>;
  for (const name of [...properties, ...facts.alwaysReturnedProperties]) expect(props, name).toHaveProperty(name);
  for (const value of Object.values(props)) expect(value === null || typeof value === 'string').toBe(true);
}

describe('HubSpot sandbox contract', () => {
  it('returns deals, line items and companies with the documented envelope and properties, as strings', async () => {
    const deal = await json(`/crm/v3/objects/deals/9001?properties=${facts.dealProperties.join(',')}`);
    expectEnvelope(deal, facts.dealProperties);
    const lines = await json('/crm/v3/objects/line_items/batch/read', { method: 'POST', body: JSON.stringify({ properties: facts.lineItemProperties, inputs: [{ id: '7001' }, { id: '7002' }] }) });
    for (const field of facts.batchRead.fields) expect(lines).toHaveProperty(field);
    expect(facts.batchRead.statuses).toContain(lines.status);
    for (const line of lines.results) {
      expectEnvelope(line, facts.lineItemProperties);
      expect(facts.recurringBillingFrequencies).toContain(line.properties.recurringbillingfrequency);
      expect(line.properties.hs_recurring_billing_period).toMatch(new RegExp(facts.billingPeriodPattern));
    }
    const company = await json(`/crm/v3/objects/companies/3001?properties=${facts.companyProperties.join(',')}`);
    expectEnvelope(company, facts.companyProperties);
  });

  it('refuses a batch read over the documented maximum', async () => {
    const inputs = Array.from({ length: facts.batchRead.maxInputs + 1 }, (_, i) => ({ id: String(i) }));
    const res = await api('/crm/v3/objects/line_items/batch/read', { method: 'POST', body: JSON.stringify({ properties: [], inputs }) });
    expect(res.status).toBe(400);
  });

  it('lists v4 associations with the documented fields and HUBSPOT_DEFINED type ids', async () => {
    const lines = await json('/crm/v4/objects/deals/9001/associations/line_items');
    for (const result of lines.results) {
      expect(Object.keys(result).sort()).toEqual([...facts.associationsV4.resultFields].sort());
      expect(typeof result.toObjectId).toBe('number');
      for (const type of result.associationTypes) expect(Object.keys(type).sort()).toEqual([...facts.associationsV4.typeFields].sort());
      expect(result.associationTypes.map((t: { typeId: number }) => t.typeId)).toEqual([facts.associationsV4.typeIds.dealToLineItem]);
    }
    const companies = await json('/crm/v4/objects/deals/9001/associations/companies');
    expect(companies.results[0].associationTypes.map((t: { typeId: number }) => t.typeId).sort((a: number, b: number) => a - b)).toEqual(
      [facts.associationsV4.typeIds.dealToCompanyPrimary, facts.associationsV4.typeIds.dealToCompany],
    );
  });

  it("answers 429 with HubSpot's rate-limit body and headers, and Retry-After", async () => {
    sandbox.setThrottle({ limit: 1, windowSeconds: 10 });
    try {
      await api('/crm/v3/objects/deals/9001');
      const res = await api('/crm/v3/objects/deals/9001');
      expect(res.status).toBe(facts.rateLimited.status);
      const body = (await res.json()) as { errorType: string; policyName: string };
      for (const field of facts.rateLimited.bodyFields) expect(body).toHaveProperty(field);
      expect(body.errorType).toBe(facts.rateLimited.errorType);
      expect(facts.rateLimited.policyNames).toContain(body.policyName);
      for (const header of facts.rateLimited.headers) expect(res.headers.get(header), header).not.toBeNull();
      expect(Number(res.headers.get('x-hubspot-ratelimit-interval-milliseconds'))).toBe(facts.rateLimited.intervalMilliseconds);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      sandbox.setThrottle({});
    }
  });

  it('exchanges the refresh token for a 30-minute access token the CRM accepts; anything else is 401', async () => {
    const { clientId, clientSecret, refreshToken } = sandbox.credentials;
    const form = new URLSearchParams({ grant_type: 'refresh_token', client_id: clientId, client_secret: clientSecret, refresh_token: refreshToken });
    const res = await fetch(sandbox.url + facts.oauthToken.path, { method: 'POST', body: form });
    const token = (await res.json()) as { access_token: string; expires_in: number };
    expect(Object.keys(token).sort()).toEqual([...facts.oauthToken.fields].sort());
    expect(token.expires_in).toBe(facts.oauthToken.accessTokenSeconds);
    const hs = new Client({ accessToken: token.access_token, basePath: sandbox.url });
    expect((await hs.crm.deals.basicApi.getById('9001', ['dealname'])).properties.dealname).toBe('Contoso - Microsoft 365 and Azure');
    const stranger = new Client({ accessToken: 'not-a-token', basePath: sandbox.url });
    await expect(stranger.crm.deals.basicApi.getById('9001')).rejects.toMatchObject({ code: 401 });
  });

  it('is read by @hubspot/api-client through its own request code (basePath pointed at the sandbox)', async () => {
    const hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
    const deal = await hs.crm.deals.basicApi.getById('9001', facts.dealProperties);
    expect(deal.createdAt).toBeInstanceOf(Date);
    const assoc = await hs.crm.associations.v4.basicApi.getPage('deals', '9001', 'line_items', undefined, 500);
    const lines = await hs.crm.lineItems.batchApi.read({ properties: facts.lineItemProperties, propertiesWithHistory: [], inputs: assoc.results.map((r) => ({ id: String(r.toObjectId) })) });
    expect(lines.results.map((l) => l.properties.hs_sku).sort()).toEqual(['CFQ7TTC0LCHC:0002', 'CFQ7TTC0LFLX:0001', 'azure:compute', 'azure:storage']);
  });

  it('wins a deal and delivers a signed v3 batch with the documented event fields, then its redeliveries', async () => {
    const deliveries = await sandbox.winDeal('9003', { deliverTo: receiverUrl, redeliveries: 2 });
    expect(deliveries.map((d) => d.status)).toEqual([204, 204, 204]);
    expect(received).toHaveLength(3);
    const events = received.map((r) => JSON.parse(r.body)[0]);
    for (const event of events) {
      for (const field of [...facts.webhookEvent.fields, ...facts.webhookEvent.propertyChangeFields]) expect(event).toHaveProperty(field);
      for (const field of facts.webhookEvent.integerFields) expect(Number.isInteger(event[field]), field).toBe(true);
    }
    expect(events.map((e) => e.attemptNumber)).toEqual([0, 1, 2]);
    expect(new Set(events.map((e) => `${e.eventId}:${e.occurredAt}`)).size).toBe(1);
    expect(events[0]).toMatchObject({ objectId: 9003, propertyName: 'dealstage', propertyValue: facts.defaultPipelineWonStage, portalId: sandbox.credentials.portalId });
    for (const r of received) {
      const timestamp = r.headers['x-hubspot-request-timestamp'] as string;
      expect(r.headers['x-hubspot-signature-v3']).toBe(hubspotSign(sandbox.credentials.clientSecret, 'POST', receiverUrl, r.body, timestamp));
    }
    const hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
    const won = await hs.crm.deals.basicApi.getById('9003', ['dealstage', 'hs_is_closed_won', 'closedate']);
    expect(won.properties).toMatchObject({ dealstage: 'closedwon', hs_is_closed_won: 'true' });
    expect(won.properties.closedate).not.toBeNull();
  });
});
