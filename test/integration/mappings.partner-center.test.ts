import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { fullSyncThroughApi, startConnectedHub, stopConnectedHub, type SyncedHub } from '../helpers/partner-center-sync.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// Partner Center's customers, subscriptions and Azure usage lines are read through
// editable default mappings (version 0). An MSP that keeps its cost centres in an Azure
// tag maps the costCenter tag onto the line's resource group (what its allocation rules
// match on) through the API: preview first, against the lines the hub stored, writing
// nothing; the next sync uses the new version and records it.

let env: SyncedHub | undefined;
let hub: TestHub;
let sandbox: PartnerCenterSandbox;
let connectionId = '';

beforeAll(async () => {
  env = await startConnectedHub();
  ({ hub, sandbox, connectionId } = env);
}, 60_000);
afterAll(() => stopConnectedHub(env));

const call = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.admin), ...(payload ? { payload } : {}) });
const mappingUrl = (object: string) => `/v1/connections/${connectionId}/mappings/${object}`;
const sync = () => fullSyncThroughApi(hub, connectionId);
const uses = async () =>
  Object.fromEntries(
    (await hub.ctx.db.selectFrom('mapping_uses').select(['object', 'version', 'records']).where('connection_id', '=', connectionId).execute()).map((u) => [`${u.object} v${u.version}`, u.records]),
  );
const lines = () => hub.ctx.db.selectFrom('usage_lines').select(['usage_date', 'line_key', 'resource_group', 'tags', 'revision']).where('connection_id', '=', connectionId).execute();
const costCenter = (tags: unknown) => (tags as Record<string, string> | null)?.costCenter;
const costCenterAsGroup = { id: 'resource-group', target: 'usage.resourceGroup', transform: { type: 'expression', expression: 'coalesce(Tags.costCenter, ResourceGroup)' } };
const withRule = (rules: { target: string }[], rule: { target: string }) => rules.map((r) => (r.target === rule.target ? rule : r));

describe('Partner Center through its field mappings', () => {
  it('syncs with the built-in mappings and records version 0 of each', async () => {
    const listed = (await call('GET', `/v1/connections/${connectionId}/mappings`)).json();
    expect(listed.items.map((m: { object: string; version: number }) => `${m.object} v${m.version}`)).toEqual(['customer v0', 'subscription v0', 'usage_line v0', 'license_line v0']);
    await sync();
    const recorded = await uses();
    expect(Object.keys(recorded).sort()).toEqual(['customer v0', 'license_line v0', 'subscription v0', 'usage_line v0']);
    // Every customer of the sandbox's list, and every usage line the run read.
    expect(recorded['customer v0']).toBe(sandbox.portfolio.customers.length);
    expect(recorded['usage_line v0']).toBeGreaterThanOrEqual((await lines()).length);
    // Microsoft's resource groups as they came; some resources carry a costCenter tag.
    expect((await lines()).some((l) => costCenter(l.tags) !== undefined && costCenter(l.tags) !== l.resource_group)).toBe(true);
  });

  it('previews the costCenter tag as the resource group on the stored lines, writing nothing', async () => {
    const before = { lines: await lines(), uses: await uses(), versions: (await call('GET', `${mappingUrl('usage_line')}/versions`)).json().items.length };
    const current = (await call('GET', mappingUrl('usage_line'))).json();
    const res = await call('POST', `${mappingUrl('usage_line')}/preview`, { rules: withRule(current.rules, costCenterAsGroup), last: 50 });
    expect(res.statusCode, res.body).toBe(200);
    const records = res.json().records as { label: string; fields: { target: string; before: string | null; after: string | null; changed: boolean }[]; problems: unknown[] }[];
    expect(records).toHaveLength(50);
    let changed = 0;
    for (const record of records) {
      const stored = before.lines.find((l) => record.label.startsWith(`usage line ${l.line_key} of ${l.usage_date}`))!;
      const field = record.fields.find((f) => f.target === 'usage.resourceGroup')!;
      expect(field).toEqual({ target: 'usage.resourceGroup', before: stored.resource_group, after: costCenter(stored.tags) ?? stored.resource_group, changed: (costCenter(stored.tags) ?? stored.resource_group) !== stored.resource_group });
      if (field.changed) changed++;
      expect(record.problems).toEqual([]);
    }
    expect(changed).toBeGreaterThan(0);
    expect({ lines: await lines(), uses: await uses(), versions: (await call('GET', `${mappingUrl('usage_line')}/versions`)).json().items.length }).toEqual(before);
    // Subscriptions are kept without their vendor record: a preview needs posted samples.
    const subscriptions = await call('POST', `${mappingUrl('subscription')}/preview`, {});
    expect(subscriptions.statusCode).toBe(400);
    expect(subscriptions.json().errors[0].field).toBe('records');
  });

  it('refuses a rule that writes a line amount, naming the rule', async () => {
    const current = (await call('GET', mappingUrl('usage_line'))).json();
    const rules = [...current.rules, { id: 'unit-price', source: 'UnitPrice', target: 'usage.unitPrice', transform: { type: 'copy' } }];
    const res = await call('PUT', mappingUrl('usage_line'), { rules, reason: 'price from the file' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: `rules.${rules.length - 1}.target`, reason: 'rule unit-price: usage.unitPrice is not a field of usage line as the hub bills it' }]);
  });

  it('takes the resource group from the costCenter tag and the friendly name from a template in the next sync, recording version 1', async () => {
    const usage = (await call('GET', mappingUrl('usage_line'))).json();
    expect((await call('PUT', mappingUrl('usage_line'), { rules: withRule(usage.rules, costCenterAsGroup), reason: 'Cost centres live in the costCenter tag' })).statusCode).toBe(200);
    const subscription = (await call('GET', mappingUrl('subscription'))).json();
    const friendly = { id: 'friendly-name', target: 'subscription.friendlyName', transform: { type: 'template', template: '{offerName} ({billingCycle})' } };
    const saved = await call('PUT', mappingUrl('subscription'), { rules: withRule(subscription.rules, friendly), reason: 'Show the billing cycle in the name' });
    expect(saved.statusCode, saved.body).toBe(200);
    const before = await lines();
    await sync();
    const after = await lines();
    expect(after).toHaveLength(before.length);
    for (const line of after) {
      const was = before.find((l) => l.line_key === line.line_key && l.usage_date === line.usage_date)!;
      expect(line.resource_group).toBe(costCenter(was.tags) ?? was.resource_group);
    }
    const subscriptions = await hub.ctx.db.selectFrom('subscriptions').select(['friendly_name', 'offer_name', 'billing_cycle']).where('connection_id', '=', connectionId).execute();
    expect(subscriptions.length).toBeGreaterThan(0);
    for (const s of subscriptions) expect(s.friendly_name).toBe(`${s.offer_name} (${s.billing_cycle ?? ''})`);
    const recorded = await uses();
    expect(recorded['usage_line v1']).toBeGreaterThanOrEqual(after.length);
    expect(recorded['subscription v1']).toBe(subscriptions.length);
    expect(recorded['customer v0']).toBe(2 * sandbox.portfolio.customers.length);
  });
});
