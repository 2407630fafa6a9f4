import { Client } from '@hubspot/api-client';
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

const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, key = hub.keys.admin) =>
  hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
const mappingUrl = () => `/v1/connections/${connectionId}/mappings/deal`;

/** The default rules plus one rule that reads the MSP's custom deal property for the Azure budget. */
const BUDGET_RULE = { id: 'azure-budget', source: 'deal.properties.azure_budget', target: 'quote.azureMonthlyBudget', transform: { type: 'decimal', scale: 2 } };
const withBudgetRule = (rules: { id: string }[]) => rules.map((r) => (r.id === 'azure-budget' ? BUDGET_RULE : r));

describe('field mappings through the API', () => {
  it('shows the built-in HubSpot deal mapping as version 0', async () => {
    const res = await call('GET', `/v1/connections/${connectionId}/mappings`);
    expect(res.statusCode, res.body).toBe(200);
    const [deal, ...others] = res.json().items;
    expect(others.map((o: { object: string; version: number }) => [o.object, o.version])).toEqual([
      ['line_item', 0],
      ['company', 0],
    ]);
    expect(deal).toMatchObject({ provider: 'hubspot', object: 'deal', version: 0, builtIn: true, reason: null });
    expect(deal.rules.map((r: { id: string; target: string }) => [r.id, r.target])).toEqual([
      ['currency', 'quote.currency'],
      ['closed-at', 'quote.closedAt'],
      ['monthly-total', 'quote.monthlyTotal'],
      ['azure-budget', 'quote.azureMonthlyBudget'],
    ]);
  });

  it('refuses an invalid mapping naming the rule, and saves nothing', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const typeMismatch = await call('PUT', mappingUrl(), {
      reason: 'budget from the custom property',
      rules: current.rules.map((r: { id: string }) => (r.id === 'azure-budget' ? { ...BUDGET_RULE, transform: { type: 'copy' } } : r)),
    });
    expect(typeMismatch.statusCode).toBe(400);
    expect(typeMismatch.json()).toMatchObject({
      type: '/problems/validation',
      field: 'rules.3.target',
      detail: 'rules.3.target: rule azure-budget: quote.azureMonthlyBudget holds decimal, but the rule yields string (read text as decimal with a decimal, datetime or expression transform)',
    });
    const unknownPath = await call('PUT', mappingUrl(), { reason: 'typo', rules: [{ id: 'budget', source: 'deals.properties.azure_budget', target: 'quote.azureMonthlyBudget', transform: { type: 'decimal', scale: 2 } }] });
    expect(unknownPath.statusCode).toBe(400);
    expect(unknownPath.json().detail).toBe('rules.0.source: rule budget: deals.properties.azure_budget is not a field of hubspot deal');
    const cycle = await call('PUT', mappingUrl(), {
      reason: 'loop',
      rules: [
        { id: 'a', target: 'quote.monthlyTotal', transform: { type: 'expression', expression: 'quote.azureMonthlyBudget * 2' } },
        { id: 'b', target: 'quote.azureMonthlyBudget', transform: { type: 'expression', expression: 'quote.monthlyTotal / 2' } },
      ],
    });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().detail).toBe('rules.0.source: rule a: rules form a cycle: a → b → a');
    expect(await hub.ctx.db.selectFrom('field_mappings').select('id').execute()).toEqual([]);
  });

  it('a custom deal property feeds the Azure budget after an API mapping change; preview first, writing nothing; the run records the version', async () => {
    // The MSP keeps the negotiated Azure budget in a custom deal property.
    const hs = new Client({ accessToken: sandbox.credentials.privateAppToken, basePath: sandbox.url });
    await hs.crm.deals.basicApi.update('9001', { properties: { azure_budget: '8000' } });
    await sandbox.winDeal('9001');
    const first = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
    expect(first).toMatchObject({ outcome: 'quoted', revision: 1, mappingVersion: 0 });
    const quotesBefore = await hub.ctx.db.selectFrom('quotes').select(['revision', 'azure_monthly_budget', 'mapping_version']).orderBy('revision').execute();
    // Built in: the Azure lines, 1150 + 240.
    expect(quotesBefore).toEqual([{ revision: 1, azure_monthly_budget: '1390', mapping_version: 0 }]);

    const current = (await call('GET', mappingUrl())).json();
    const draft = withBudgetRule(current.rules);
    const auditBefore = await hub.ctx.db.selectFrom('audit_log').select('seq').execute();
    const preview = await call('POST', `${mappingUrl()}/preview`, {
      rules: draft,
      records: [{ deal: { id: '1', properties: { deal_currency_code: 'usd', azure_budget: '8000.004' } }, lines: { monthlyTotal: '100', azureMonthlyAmount: '60' } }],
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toEqual({
      version: 'draft',
      inForce: 0,
      records: [
        {
          label: 'sample 0',
          fields: [
            { target: 'quote.currency', before: 'USD', after: 'USD', changed: false },
            { target: 'quote.closedAt', before: null, after: null, changed: false },
            { target: 'quote.monthlyTotal', before: '100', after: '100', changed: false },
            { target: 'quote.azureMonthlyBudget', before: '60', after: '8000', changed: true },
          ],
          problems: [],
        },
      ],
    });
    // Against the last real deal: the hub has not read azure_budget from HubSpot yet, so the draft yields nothing there.
    const real = (await call('POST', `${mappingUrl()}/preview`, { rules: draft, last: 5 })).json();
    expect(real.records).toHaveLength(1);
    expect(real.records[0].label).toBe('Contoso - Microsoft 365 and Azure, quote revision 1');
    expect(real.records[0].fields.find((f: { target: string }) => f.target === 'quote.azureMonthlyBudget')).toEqual({ target: 'quote.azureMonthlyBudget', before: '1390', after: null, changed: true });
    const badSample = (await call('POST', `${mappingUrl()}/preview`, { rules: draft, records: [{ deal: { properties: { azure_budget: 'lots' } } }] })).json();
    expect(badSample.records[0].problems).toEqual([{ rule: 'azure-budget', field: 'quote.azureMonthlyBudget', reason: 'decimal needs a number, not "lots"' }]);
    // Preview wrote nothing.
    expect(await hub.ctx.db.selectFrom('field_mappings').select('id').execute()).toEqual([]);
    expect(await hub.ctx.db.selectFrom('audit_log').select('seq').execute()).toHaveLength(auditBefore.length);

    const saved = await call('PUT', mappingUrl(), { rules: draft, reason: 'Azure budget is negotiated per deal in the azure_budget property' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({ version: 1, builtIn: false, reason: 'Azure budget is negotiated per deal in the azure_budget property', copiedFrom: null });
    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'mapping.version').execute();
    expect(audit.map((a) => [a.entity_id, a.justification, (a.after as { version: number }).version])).toEqual([[connectionId, 'Azure budget is negotiated per deal in the azure_budget property', 1]]);

    // The next quote-to-cash run reads the custom property and says which mapping it used.
    const second = await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx);
    expect(second).toMatchObject({ outcome: 'quoted', revision: 2, mappingVersion: 1 });
    const quotes = await hub.ctx.db.selectFrom('quotes').select(['revision', 'azure_monthly_budget', 'mapping_version']).orderBy('revision').execute();
    expect(quotes).toEqual([
      { revision: 1, azure_monthly_budget: '1390', mapping_version: 0 },
      { revision: 2, azure_monthly_budget: '8000', mapping_version: 1 },
    ]);
    expect(await quoteToCash({ connectionId, dealId: '9001' }, hub.ctx)).toEqual({ outcome: 'unchanged', revision: 2 });
  });

  it('lists versions newest first and rolls back by adding a version', async () => {
    const created = await call('POST', `/v1/connections/${connectionId}/mappings`, { object: 'deal', rules: [], reason: 'first' });
    expect(created.statusCode).toBe(409);
    const rollback = await call('POST', `${mappingUrl()}/rollback`, { version: 0, reason: 'back to the built-in budget while finance reviews' });
    expect(rollback.statusCode, rollback.body).toBe(200);
    expect(rollback.json()).toMatchObject({ version: 2, copiedFrom: 0 });
    const versions = (await call('GET', `${mappingUrl()}/versions`, undefined, hub.keys.auditor)).json();
    expect(versions.items.map((v: { version: number; copiedFrom: number | null; rules: { id: string; source?: string }[] }) => [v.version, v.copiedFrom, v.rules.find((r) => r.id === 'azure-budget')!.source])).toEqual([
      [2, 0, 'lines.azureMonthlyAmount'],
      [1, null, 'deal.properties.azure_budget'],
      [0, null, 'lines.azureMonthlyAmount'],
    ]);
    const missing = await call('POST', `${mappingUrl()}/rollback`, { version: 9, reason: 'x' });
    expect(missing.statusCode).toBe(404);
    expect((await call('GET', `/v1/connections/${connectionId}/mappings/agreement`)).json().detail).toBe('object agreement: a hubspot connection maps deal, line_item, company');
  });
});
