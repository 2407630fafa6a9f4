import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { fullSyncThroughApi, startConnectedHub, stopConnectedHub, type SyncedHub } from '../helpers/partner-center-sync.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// Partner Center's new-commerce licence lines are read through an editable default
// mapping (version 0). An MSP that wants its invoices to show the billing frequency with
// each SKU maps a template onto the SKU name through the API: preview first, against
// the lines the hub stored, writing nothing; the next sync uses version 1 and records it.
// A rule writing an amount is refused: amounts are Microsoft's.

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
const url = (suffix = '') => `/v1/connections/${connectionId}/mappings/license_line${suffix}`;
const sync = () => fullSyncThroughApi(hub, connectionId);
const uses = async () =>
  Object.fromEntries(
    (await hub.ctx.db.selectFrom('mapping_uses').select(['version', 'records']).where('connection_id', '=', connectionId).where('object', '=', 'license_line').execute()).map((u) => [`v${u.version}`, u.records]),
  );
const lines = () =>
  hub.ctx.db
    .selectFrom('license_lines')
    .select(['id', 'line_key', 'charge_period', 'sku_name', 'billing_frequency', 'product_name', 'subtotal', 'billable_quantity'])
    .where('connection_id', '=', connectionId)
    .orderBy('id')
    .execute();
const skuWithFrequency = { id: 'sku-name', target: 'license.skuName', transform: { type: 'template', template: '{SkuName} ({BillingFrequency})' } };
const withRule = (rules: { target: string }[], rule: { target: string }) => rules.map((r) => (r.target === rule.target ? rule : r));

describe('Partner Center licence lines through their field mapping', () => {
  it('syncs with the built-in mapping and records version 0 for every line read', async () => {
    expect((await call('GET', url())).json()).toMatchObject({ object: 'license_line', version: 0 });
    await sync();
    const stored = await lines();
    expect(stored.length).toBeGreaterThan(0);
    expect((await uses()).v0).toBeGreaterThanOrEqual(stored.length);
  });

  it('previews the SKU name with its billing frequency on the stored lines, writing nothing', async () => {
    const before = { lines: await lines(), uses: await uses(), versions: (await call('GET', url('/versions'))).json().items.length };
    const current = (await call('GET', url())).json();
    const res = await call('POST', url('/preview'), { rules: withRule(current.rules, skuWithFrequency), last: 20 });
    expect(res.statusCode, res.body).toBe(200);
    const records = res.json().records as { label: string; fields: { target: string; before: string | null; after: string | null; changed: boolean }[]; problems: unknown[] }[];
    expect(records).toHaveLength(Math.min(20, before.lines.length));
    for (const record of records) {
      const stored = before.lines.find((l) => record.label.startsWith(`licence line ${l.line_key} of ${l.charge_period}`))!;
      expect(record.fields.find((f) => f.target === 'license.skuName')).toEqual({
        target: 'license.skuName',
        before: stored.sku_name,
        after: `${stored.sku_name} (${stored.billing_frequency ?? ''})`,
        changed: true,
      });
      expect(record.problems).toEqual([]);
    }
    expect({ lines: await lines(), uses: await uses(), versions: (await call('GET', url('/versions'))).json().items.length }).toEqual(before);
  });

  it('refuses a rule that writes a line amount, naming the rule', async () => {
    const current = (await call('GET', url())).json();
    const rules = [...current.rules, { id: 'subtotal', source: 'Subtotal', target: 'license.subtotal', transform: { type: 'copy' } }];
    const res = await call('PUT', url(), { rules, reason: 'subtotal from the file' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ field: `rules.${rules.length - 1}.target`, reason: 'rule subtotal: license.subtotal is not a field of licence line as the hub bills it' }]);
  });

  it('names each SKU with its billing frequency in the next sync, keeping identity and amounts, and records version 1', async () => {
    const current = (await call('GET', url())).json();
    const saved = await call('PUT', url(), { rules: withRule(current.rules, skuWithFrequency), reason: 'Invoices show the billing frequency with the SKU' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(1);
    const before = await lines();
    const versionZero = (await uses()).v0;
    await sync();
    const after = await lines();
    expect(after).toEqual(before.map((l) => ({ ...l, sku_name: `${l.sku_name} (${l.billing_frequency ?? ''})` })));
    const recorded = await uses();
    expect(recorded.v1).toBeGreaterThanOrEqual(after.length);
    expect(recorded.v0).toBe(versionZero);
  });
});
