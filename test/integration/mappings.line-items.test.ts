import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteToCash } from '../../src/jobs/hubspot/quote-to-cash.ts';
import { startHubSpotSandbox, type HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { connectHubSpotSandbox } from '../helpers/hubspot-connection.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let sandbox: HubSpotSandbox;
let hub: TestHub;
let connectionId = '';

beforeAll(async () => {
  sandbox = await startHubSpotSandbox();
  hub = await createTestHub();
  connectionId = await connectHubSpotSandbox(hub, sandbox);
}, 60_000);
afterAll(async () => {
  await hub.close();
  await sandbox.close();
});

const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.admin), ...(payload ? { payload } : {}) });
const mappingUrl = () => `/v1/connections/${connectionId}/mappings/line_item`;

async function quoteLines(revision: number) {
  return hub.ctx.db
    .selectFrom('quote_lines as l')
    .innerJoin('quotes as q', 'q.id', 'l.quote_id')
    .select(['l.source', 'l.category', 'l.unit_cost', 'l.markup_percent', 'q.line_mapping_version'])
    .where('q.revision', '=', revision)
    .orderBy('l.position')
    .execute();
}

/** The MSP keeps its own (distributor-discounted) unit cost in a custom line item property, falling back to HubSpot's. */
const COST_RULE = { id: 'unit-cost', target: 'line.unitCost', transform: { type: 'expression', expression: 'coalesce(properties.msp_unit_cost, properties.hs_cost_of_goods_sold)' } };

describe('HubSpot line items through their field mapping', () => {
  it('shows the built-in line item mapping as version 0: the properties the connector always read', async () => {
    const res = await call('GET', mappingUrl());
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ provider: 'hubspot', object: 'line_item', version: 0, builtIn: true });
    const documented: string[] = JSON.parse(readFileSync(new URL('../fixtures/vendor/hubspot-crm.json', import.meta.url), 'utf8')).lineItemProperties;
    for (const rule of res.json().rules) expect(documented).toContain(rule.source.replace('properties.', ''));
    expect(Object.fromEntries(res.json().rules.map((r: { source: string; target: string }) => [r.target, r.source]))).toEqual({
      'line.name': 'properties.name',
      'line.sku': 'properties.hs_sku',
      'line.quantity': 'properties.quantity',
      'line.price': 'properties.price',
      'line.discountPerUnit': 'properties.discount',
      'line.discountPercent': 'properties.hs_discount_percentage',
      'line.unitCost': 'properties.hs_cost_of_goods_sold',
      'line.billingFrequency': 'properties.recurringbillingfrequency',
      'line.term': 'properties.hs_recurring_billing_period',
    });
  });

  it('refuses a line item rule reading an unknown path, naming the rule', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const res = await call('PUT', mappingUrl(), { reason: 'typo', rules: current.rules.map((r: { id: string }) => (r.id === 'unit-cost' ? { ...r, source: 'props.cost' } : r)) });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('rules.6.source: rule unit-cost: props.cost is not a field of hubspot line item');
  });

  it("an admin's changed line item mapping changes the quote's costs and markups; the quote records the version", async () => {
    sandbox.editObject('line_items', '7003', { msp_unit_cost: '920.00' });
    await sandbox.winDeal('9001');
    expect(await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx)).toMatchObject({ outcome: 'quoted', revision: 1 });
    // Built in: compute 1150 on a cost of 1000 = 15 % markup; storage 240 on 200 = 20 %.
    const before = (await quoteLines(1)).filter((l) => l.category !== 'licenses');
    expect(before.map((l) => [l.category, l.unit_cost, l.markup_percent, l.line_mapping_version])).toEqual([
      ['compute', '1000', '15', 0],
      ['storage', '200', '20', 0],
    ]);

    const current = (await call('GET', mappingUrl())).json();
    const rules = current.rules.map((r: { id: string }) => (r.id === 'unit-cost' ? COST_RULE : r));
    const preview = await call('POST', `${mappingUrl()}/preview`, { rules, records: [{ id: '1', properties: { msp_unit_cost: '920.00', hs_cost_of_goods_sold: '1000.00' } }] });
    expect(preview.json().records[0].fields.find((f: { target: string }) => f.target === 'line.unitCost')).toEqual({ target: 'line.unitCost', before: '1000.00', after: '920.00', changed: true });
    const saved = await call('PUT', mappingUrl(), { rules, reason: 'Our cost is the distributor price in msp_unit_cost' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(1);

    // The next run reads msp_unit_cost: compute 1150 / 920 = 1.25 → 25 % markup; storage has none, so HubSpot's cost (20 %).
    expect(await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx)).toMatchObject({ outcome: 'quoted', revision: 2 });
    const after = (await quoteLines(2)).filter((l) => l.category !== 'licenses');
    expect(after.map((l) => [l.category, l.unit_cost, l.markup_percent, l.line_mapping_version])).toEqual([
      ['compute', '920', '25', 1],
      ['storage', '200', '20', 1],
    ]);
    const card = await hub.ctx.db
      .selectFrom('rate_card_rules as r')
      .innerJoin('rate_card_versions as v', 'v.id', 'r.rate_card_version_id')
      .select(['r.markup_percent', 'v.version'])
      .where('r.match_kind', '=', 'category')
      .where('r.match_value', '=', 'compute')
      .orderBy('v.version')
      .execute();
    expect(card.map((r) => [r.version, r.markup_percent])).toEqual([
      [1, '15'],
      [2, '25'],
    ]);
  });

  it('a line the mapping cannot map makes the deal an exception naming the mapping version and rule', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const frequency = { id: 'billing-frequency', source: 'properties.recurringbillingfrequency', target: 'line.billingFrequency', transform: { type: 'lookup', table: { monthly: 'monthly' } } };
    const rules = current.rules.map((r: { id: string }) => (r.id === 'billing-frequency' ? frequency : r));
    expect((await call('PUT', mappingUrl(), { rules, reason: 'only monthly, nothing else' })).statusCode).toBe(200);
    sandbox.editObject('line_items', '7004', { recurringbillingfrequency: 'quarterly' });
    const outcome = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
    expect(outcome.outcome).toBe('exception');
    const exception = await hub.ctx.db.selectFrom('quote_exceptions').select('problems').where('status', '=', 'open').executeTakeFirstOrThrow();
    // Only the mapping's reason: the line is not checked again without its values.
    expect(exception.problems).toEqual([
      {
        lineItemId: '7004',
        name: 'Azure consumption - storage',
        reason: 'line item mapping v2 rule billing-frequency (line.billingFrequency): "quarterly" is not in the lookup table and the rule has no fallback',
      },
    ]);
  });
});
