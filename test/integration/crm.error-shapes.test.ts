import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubSpotCallError } from '../../src/connectors/hubspot/client.ts';
import { SalesforceCallError } from '../../src/connectors/salesforce/client.ts';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { salesforceQuoteToCash } from '../../src/jobs/salesforce/quote-to-cash.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { connectSalesforceSandbox } from '../helpers/salesforce-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The vendors' own error bodies, produced by the sandboxes through the official SDKs,
// become errors that say what failed and why. HubSpot answers
// { status: 'error', message, correlationId, category, context }; Salesforce answers an
// array of { errorCode, message } (see test/fixtures/vendor).

let hubspot: HubSpotSandbox;
let salesforce: SalesforceSandbox;
let hub: TestHub;

beforeAll(async () => {
  [hubspot, salesforce] = await Promise.all([startHubSpotSandbox(), startSalesforceSandbox()]);
  hub = await createTestHub();
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await hubspot?.close();
  await salesforce?.close();
});

describe('CRM error shapes', () => {
  it("names HubSpot's category, the object and the correlationId of an object that does not exist", async () => {
    const connectionId = await connectHubSpotSandbox(hub, hubspot);
    const error = await quoteToCash({ connectionId, dealId: '987654' }, hub.ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HubSpotCallError);
    const e = error as HubSpotCallError;
    expect([e.status, e.category]).toEqual([404, 'OBJECT_NOT_FOUND']);
    expect(e.correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(e.message).toContain('HubSpot answered 404 OBJECT_NOT_FOUND: Object not found.');
    expect(e.message).toContain('"id":["987654"]');
    expect(e.message).toContain(`(correlationId ${e.correlationId})`);
  });

  it("names HubSpot's category of a refused token", async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'hubspot', name: 'Wrong token', credentials: { accessToken: 'pat-na1-not-a-token', clientSecret: 'x' }, settings: { baseUrl: hubspot.url } },
    });
    expect(res.statusCode, res.body).toBe(201);
    await expect(quoteToCash({ connectionId: res.json().id, dealId: '9001' }, hub.ctx)).rejects.toMatchObject({ status: 401, category: 'INVALID_AUTHENTICATION', message: expect.stringMatching(/^HubSpot answered 401 INVALID_AUTHENTICATION: /) });
  });

  it("names the column Salesforce refuses when a connection's field setting is misspelt, and an opportunity that does not exist", async () => {
    const connectionId = await connectSalesforceSandbox(hub, salesforce, { unitCostField: 'Unit_Cost_Typo__c' });
    const error = await salesforceQuoteToCash({ connectionId, opportunityId: OPPORTUNITIES[0]!.Id }, hub.ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SalesforceCallError);
    expect((error as SalesforceCallError).errorCode).toBe('INVALID_FIELD');
    expect((error as SalesforceCallError).message).toMatch(/^Salesforce answered INVALID_FIELD: /);
    expect((error as SalesforceCallError).message).toContain("No such column 'Unit_Cost_Typo__c' on entity 'OpportunityLineItem'");

    const fixed = await hub.app.inject({
      method: 'PATCH',
      url: `/v1/connections/${connectionId}`,
      headers: hub.auth(hub.keys.admin),
      payload: { settings: { instanceUrl: salesforce.url, loginUrl: salesforce.url, organizationId: salesforce.credentials.organizationId } },
    });
    expect(fixed.statusCode, fixed.body).toBe(200);
    await expect(salesforceQuoteToCash({ connectionId, opportunityId: '006000000000999' }, hub.ctx)).rejects.toMatchObject({
      errorCode: 'NOT_FOUND',
      message: 'Opportunity 006000000000999 does not exist or is not visible to the integration user',
    });
    await expect(salesforceQuoteToCash({ connectionId, opportunityId: "006' OR Name != '" }, hub.ctx)).rejects.toMatchObject({ errorCode: 'INVALID_ID' });
  });
});
