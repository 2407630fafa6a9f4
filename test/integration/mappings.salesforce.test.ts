import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { salesforceQuoteToCash } from '../../src/jobs/salesforce/quote-to-cash.ts';
import { OPPORTUNITIES, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// Salesforce opportunity lines map through the connection's line_item mapping. Version 0
// reads what the connector always read (ProductCode, Quantity, UnitPrice, Discount and the
// org fields the settings name); an admin's version reads a custom field the sandbox org
// has (Distributor_Cost__c), and the quote records the version that made its lines.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let connectionId = '';

const ADATUM = OPPORTUNITIES[0]!;
const COMPUTE_LINE = ADATUM.lines[1]!.Id;

beforeAll(async () => {
  ({ sandbox, hub, connectionId } = await salesforceHub());
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const call = async (method: 'GET' | 'PUT', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.admin), ...(payload ? { payload } : {}) });
const mappingUrl = (id = connectionId) => `/v1/connections/${id}/mappings/line_item`;
const sources = (rules: { source: string; target: string }[]) => Object.fromEntries(rules.map((r) => [r.target, r.source]));

async function computeLine(revision: number) {
  return hub.ctx.db
    .selectFrom('quote_lines as l')
    .innerJoin('quotes as q', 'q.id', 'l.quote_id')
    .innerJoin('deals as d', 'd.id', 'q.deal_id')
    .select(['l.unit_cost', 'l.markup_percent', 'q.line_mapping_version'])
    .where('d.connection_id', '=', connectionId)
    .where('q.revision', '=', revision)
    .where('l.category', '=', 'compute')
    .executeTakeFirstOrThrow();
}

describe('Salesforce opportunity lines through their field mapping', () => {
  it("shows the built-in mapping as version 0, with the org's own fields the connection's settings name", async () => {
    const res = await call('GET', mappingUrl());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ provider: 'salesforce', object: 'line_item', version: 0, builtIn: true });
    expect(sources(res.json().rules)).toEqual({
      'line.name': 'Name',
      'line.sku': 'ProductCode',
      'line.quantity': 'Quantity',
      'line.price': 'UnitPrice',
      'line.discountPercent': 'Discount',
      'line.unitCost': 'Unit_Cost__c',
      'line.billingFrequency': 'Billing_Frequency__c',
      'line.term': 'Term__c',
    });
    const c = sandbox.credentials;
    const created = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'salesforce', name: 'Org with its own cost field', credentials: { clientId: c.clientId, clientSecret: c.clientSecret }, settings: { instanceUrl: sandbox.url, unitCostField: 'MSP_Cost__c' } },
    });
    expect(created.statusCode, created.body).toBe(201);
    const other = created.json().id as string;
    expect(sources((await call('GET', mappingUrl(other))).json().rules)['line.unitCost']).toBe('MSP_Cost__c');
  });

  it('refuses a rule reading a nested path Salesforce lines do not have, naming the rule', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const res = await call('PUT', mappingUrl(), { reason: 'typo', rules: current.rules.map((r: { id: string }) => (r.id === 'unit-cost' ? { ...r, source: 'Product2.Cost' } : r)) });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('rules.5.source: rule unit-cost: Product2.Cost is not a field of salesforce opportunity line');
  });

  it("an admin's changed line mapping reads a custom field into the quote's costs; the quote records the version", async () => {
    sandbox.org.updateLine(COMPUTE_LINE, { Distributor_Cost__c: 1840 });
    await sandbox.winOpportunity(ADATUM.Id);
    expect(await salesforceQuoteToCash({ connectionId, opportunityId: ADATUM.Id }, hub.ctx)).toMatchObject({ outcome: 'quoted', revision: 1 });
    // Built in: compute sold at 2,300 on Unit_Cost__c 2,000 = 15 % markup.
    expect(await computeLine(1)).toEqual({ unit_cost: '2000', markup_percent: '15', line_mapping_version: 0 });

    const current = (await call('GET', mappingUrl())).json();
    const costRule = { id: 'unit-cost', target: 'line.unitCost', transform: { type: 'expression', expression: 'coalesce(Distributor_Cost__c, Unit_Cost__c)' } };
    const rules = current.rules.map((r: { id: string }) => (r.id === 'unit-cost' ? costRule : r));
    const saved = await call('PUT', mappingUrl(), { rules, reason: "Our cost is the distributor's price where we have one" });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(1);

    expect(await salesforceQuoteToCash({ connectionId, opportunityId: ADATUM.Id }, hub.ctx)).toMatchObject({ outcome: 'quoted', revision: 2 });
    // 2,300 on 1,840 = 1.25: a 25 % markup.
    expect(await computeLine(2)).toEqual({ unit_cost: '1840', markup_percent: '25', line_mapping_version: 1 });
  });
});
