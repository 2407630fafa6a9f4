import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAllocationRules } from '../../src/db/allocation-rules.ts';
import { allocate } from '../../src/engine/allocation.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let customerId: string;
let finance: string;
let ops: string;
let otherNode: string;

beforeAll(async () => {
  hub = await createTestHub();
  customerId = (await send('POST', '/v1/customers', { name: 'Allocating Co' })).json().id;
  finance = (await send('POST', `/v1/customers/${customerId}/cost-nodes`, { name: 'Finance' })).json().id;
  ops = (await send('POST', `/v1/customers/${customerId}/cost-nodes`, { name: 'Operations' })).json().id;
  const other = (await send('POST', '/v1/customers', { name: 'Someone else' })).json().id;
  otherNode = (await send('POST', `/v1/customers/${other}/cost-nodes`, { name: 'Theirs' })).json().id;
});
afterAll(() => hub.close());

function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, key = hub.keys.admin) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload: payload as object }) });
}

const rulesUrl = () => `/v1/customers/${customerId}/allocation-rules`;
const erpRule = (overrides: Record<string, unknown> = {}) => ({
  priority: 10,
  match: { tag: { key: 'project', value: 'erp' } },
  splits: [
    { costNodeId: finance, percent: '60' },
    { costNodeId: ops, percent: '40' },
  ],
  justification: 'ERP is shared 60/40 per the steering committee',
  effectiveFrom: '2026-01-01',
  ...overrides,
});

describe('allocation rules', () => {
  it('creates a rule as version 1 and lists it', async () => {
    const res = await send('POST', rulesUrl(), erpRule(), hub.keys.billing_ops);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      customerId,
      version: 1,
      status: 'active',
      priority: 10,
      match: { tag: { key: 'project', value: 'erp' } },
      splits: [
        { costNodeId: finance, percent: '60' },
        { costNodeId: ops, percent: '40' },
      ],
      effectiveFrom: '2026-01-01',
      justification: 'ERP is shared 60/40 per the steering committee',
    });
    expect(res.json().createdBy).toMatch(/^key:/);
    const list = await send('GET', rulesUrl(), undefined, hub.keys.auditor);
    expect(list.json().items.map((r: { id: string }) => r.id)).toEqual([res.json().id]);
    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity', '=', 'allocation_rule').where('entity_id', '=', res.json().id).execute();
    expect(audit).toMatchObject([{ action: 'allocation_rule.create', before: null, justification: 'ERP is shared 60/40 per the steering committee' }]);
    expect((audit[0]!.after as { splits: unknown[] }).splits).toHaveLength(2);
    // A node a rule sends cost to cannot disappear from under it.
    expect((await send('DELETE', `/v1/customers/${customerId}/cost-nodes/${finance}`)).statusCode).toBe(409);
  });

  it('answers bad rules with 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [erpRule({ justification: undefined }), 'justification', /required/],
      [erpRule({ justification: '   ' }), 'justification', /must say why/],
      [erpRule({ splits: [{ costNodeId: finance, percent: '60' }, { costNodeId: ops, percent: '39.99' }] }), 'splits', /sum to 99\.99, not exactly 100/],
      [erpRule({ splits: [{ costNodeId: finance, percent: '60' }, { costNodeId: ops, percent: '40.01' }] }), 'splits', /100\.01/],
      [erpRule({ splits: [{ costNodeId: finance, percent: 60 }, { costNodeId: ops, percent: '40' }] }), 'splits.0.percent', /decimal string/],
      [erpRule({ splits: [{ costNodeId: finance, percent: '100' }, { costNodeId: ops, percent: '0' }] }), 'splits.1.percent', /more than 0/],
      [erpRule({ splits: [{ costNodeId: otherNode, percent: '100' }] }), 'splits.0.costNodeId', /this customer's tree/],
      [erpRule({ splits: [{ costNodeId: finance, percent: '50' }, { costNodeId: finance, percent: '50' }] }), 'splits.1.costNodeId', /twice/],
      [erpRule({ splits: [] }), 'splits', /fewer than 1/],
      [erpRule({ match: {} }), 'match', /fewer than 1/],
      [erpRule({ match: { resourceGroup: 'rg', subscriptionId: 's' } }), 'match', /more than 1/],
      [erpRule({ match: { tag: { value: 'x' } } }), 'match.tag.key', /required/],
      [erpRule({ priority: -1 }), 'priority', />= 0/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await send('POST', rulesUrl(), payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const problem = res.json();
      expect(problem.field, JSON.stringify(problem)).toBe(field);
      expect(problem.errors.find((e: { field: string }) => e.field === field).reason).toMatch(reason);
    }
    expect((await send('POST', '/v1/customers/00000000-0000-4000-8000-000000000000/allocation-rules', erpRule())).statusCode).toBe(404);
    expect((await send('POST', rulesUrl(), erpRule(), hub.keys.sales_ops)).statusCode).toBe(403);
  });

  it('keeps every version: a change and a retirement are new versions with their reasons', async () => {
    const created = (await send('POST', rulesUrl(), erpRule({ priority: 5, match: { resourceGroup: 'rg-shared' } }))).json();
    const url = `${rulesUrl()}/${created.id}`;
    const noReason = await send('PUT', url, { ...erpRule({ match: { resourceGroup: 'rg-shared' } }), justification: undefined });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe('justification');
    const badSplit = await send('PUT', url, erpRule({ match: { resourceGroup: 'rg-shared' }, splits: [{ costNodeId: finance, percent: '50' }] }));
    expect(badSplit.statusCode).toBe(400);
    expect(badSplit.json().field).toBe('splits');

    const changed = await send('PUT', url, erpRule({
      priority: 5,
      match: { resourceGroup: 'rg-shared' },
      splits: [{ costNodeId: finance, percent: '33.34' }, { costNodeId: ops, percent: '66.66' }],
      justification: 'Operations took over most of the shared cluster',
      effectiveFrom: '2026-04-01',
    }), hub.keys.finance);
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ id: created.id, version: 2, status: 'active', effectiveFrom: '2026-04-01' });

    // The engine sees each version on its own dates.
    const inMarch = (await loadAllocationRules(hub.ctx.db, customerId, '2026-03-31')).find((r) => r.id === created.id)!;
    expect(inMarch.version).toBe(1);
    expect(inMarch.splits.map((s) => s.percent.toString())).toEqual(['60', '40']);
    const inApril = (await loadAllocationRules(hub.ctx.db, customerId, '2026-04-01')).find((r) => r.id === created.id)!;
    expect(inApril).toMatchObject({ version: 2, priority: 5, match: { resourceGroup: 'rg-shared' } });
    expect(inApril.splits[0]!.percent).toBeInstanceOf(Decimal);
    expect(inApril.splits.map((s) => [s.costNodeId, s.percent.toString()])).toEqual([[finance, '33.34'], [ops, '66.66']]);
    expect(await loadAllocationRules(hub.ctx.db, customerId, '2025-12-31')).toEqual([]);

    const missingReason = await send('DELETE', url, {});
    expect(missingReason.statusCode).toBe(400);
    expect(missingReason.json().field).toBe('justification');
    const retired = await send('DELETE', url, { justification: 'Cluster decommissioned', effectiveFrom: '2026-07-01' });
    expect(retired.statusCode).toBe(200);
    expect(retired.json()).toMatchObject({ version: 3, status: 'retired', effectiveFrom: '2026-07-01', justification: 'Cluster decommissioned' });
    expect((await send('PUT', url, erpRule({ match: { resourceGroup: 'rg-shared' } }))).statusCode).toBe(409);
    expect((await send('DELETE', url, { justification: 'again' })).statusCode).toBe(409);

    expect((await loadAllocationRules(hub.ctx.db, customerId, '2026-06-30')).some((r) => r.id === created.id)).toBe(true);
    expect((await loadAllocationRules(hub.ctx.db, customerId, '2026-07-01')).some((r) => r.id === created.id)).toBe(false);
    const current = (await send('GET', rulesUrl())).json().items.map((r: { id: string }) => r.id);
    expect(current).not.toContain(created.id);
    const withRetired = (await send('GET', `${rulesUrl()}?includeRetired=true`)).json().items.map((r: { id: string }) => r.id);
    expect(withRetired).toContain(created.id);
    const onDate = (await send('GET', `${rulesUrl()}?date=2026-05-01`)).json().items.find((r: { id: string }) => r.id === created.id);
    expect(onDate).toMatchObject({ version: 2 });

    const history = await send('GET', `${url}/versions`, undefined, hub.keys.auditor);
    expect(history.statusCode).toBe(200);
    expect(history.json().items.map((v: { version: number; status: string; justification: string }) => [v.version, v.status, v.justification])).toEqual([
      [1, 'active', 'ERP is shared 60/40 per the steering committee'],
      [2, 'active', 'Operations took over most of the shared cluster'],
      [3, 'retired', 'Cluster decommissioned'],
    ]);

    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity', '=', 'allocation_rule').where('entity_id', '=', created.id).orderBy('seq').execute();
    expect(audit.map((a) => [a.action, a.justification])).toEqual([
      ['allocation_rule.create', 'ERP is shared 60/40 per the steering committee'],
      ['allocation_rule.update', 'Operations took over most of the shared cluster'],
      ['allocation_rule.retire', 'Cluster decommissioned'],
    ]);
    expect(audit[1]!.before).toMatchObject({ version: 1, splits: [{ percent: '60' }, { percent: '40' }] });
    expect(audit[1]!.after).toMatchObject({ version: 2, splits: [{ percent: '33.34' }, { percent: '66.66' }] });
    expect(audit[2]!.after).toMatchObject({ version: 3, status: 'retired' });

    const elsewhere = await send('GET', `/v1/customers/${(await send('POST', '/v1/customers', { name: 'X' })).json().id}/allocation-rules/${created.id}/versions`);
    expect(elsewhere.statusCode).toBe(404);
  });

  it('feeds the engine: rules in priority order, unclaimed cost to the unallocated node', async () => {
    const c = (await send('POST', '/v1/customers', { name: 'Engine Co' })).json().id as string;
    const a = (await send('POST', `/v1/customers/${c}/cost-nodes`, { name: 'A' })).json().id as string;
    const b = (await send('POST', `/v1/customers/${c}/cost-nodes`, { name: 'B' })).json().id as string;
    const un = ((await send('GET', `/v1/customers/${c}/cost-nodes`)).json().items as { id: string; kind: string }[]).find((n) => n.kind === 'unallocated')!.id;
    const url = `/v1/customers/${c}/allocation-rules`;
    const low = { priority: 20, match: { meterCategory: 'Storage' }, splits: [{ costNodeId: b, percent: '100' }], justification: 'storage to B', effectiveFrom: '2026-01-01' };
    const high = { priority: 1, match: { subscriptionId: 'SUB-1' }, splits: [{ costNodeId: a, percent: '50' }, { costNodeId: b, percent: '50' }], justification: 'sub 1 halves', effectiveFrom: '2026-01-01' };
    expect((await send('POST', url, low)).statusCode).toBe(201);
    expect((await send('POST', url, high)).statusCode).toBe(201);
    const rules = await loadAllocationRules(hub.ctx.db, c, '2026-02-01');
    expect(rules.map((r) => r.priority)).toEqual([1, 20]);
    const result = allocate(
      [
        { id: 'l1', amount: new Decimal('10.01'), currency: 'USD', subscriptionId: 'sub-1', meterCategory: 'Storage' },
        { id: 'l2', amount: new Decimal('4.00'), currency: 'USD', subscriptionId: 'SUB-2', meterCategory: 'Storage' },
        { id: 'l3', amount: new Decimal('7.00'), currency: 'USD', subscriptionId: 'SUB-2', meterCategory: 'Bandwidth' },
      ],
      rules,
      un,
    );
    expect(result.map((x) => [x.lineId, x.costNodeId, x.amount.toFixed(2)])).toEqual([
      ['l1', a, '5.01'],
      ['l1', b, '5.00'],
      ['l2', b, '4.00'],
      ['l3', un, '7.00'],
    ]);
  });

  it('lets a portal key read its own rules only, and the database itself refuses splits not summing to 100', async () => {
    const key = await hub.keyFor(['portal'], customerId);
    expect((await send('GET', rulesUrl(), undefined, key)).statusCode).toBe(200);
    expect((await send('POST', rulesUrl(), erpRule(), key)).statusCode).toBe(403);

    const rule = (await send('POST', rulesUrl(), erpRule({ priority: 99 }))).json();
    await expect(
      hub.ctx.db.transaction().execute(async (trx) => {
        await sql`update allocation_rule_splits set percent = 50 where allocation_rule_version_id = ${rule.versionId} and position = 0`.execute(trx);
      }),
    ).rejects.toThrow(/sum to 90/);
  });
});
