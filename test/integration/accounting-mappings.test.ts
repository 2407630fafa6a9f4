import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSmallMonth, type ClosedMonth } from '../helpers/closed-month.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let month: ClosedMonth;
beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  month = await closeSmallMonth(hub);
}, 120_000);
afterAll(() => hub.close());

const put = (payload: unknown, key = hub.keys.finance) => hub.app.inject({ method: 'PUT', url: '/v1/accounting-mappings', payload: payload as object, headers: hub.auth(key) });
const get = (url: string, key = hub.keys.auditor) => hub.app.inject({ method: 'GET', url, headers: hub.auth(key) });
const problemsOf = async (query: string) => {
  const res = await get(`/v1/accounting-mappings/problems?${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: { position: number; invoiceNumber: string; description: string; problems: { field: string; reason: string }[] }[]; truncated: boolean };
};

describe('accounting mappings', () => {
  it('lists every line that would post without a mapping, naming what is missing', async () => {
    // Nothing mapped: all three lines (compute, storage, seats) lack an account and a cost centre.
    const none = await problemsOf(`system=xero&invoiceId=${month.invoiceId}`);
    expect(none.items.map((i) => [i.position, i.description, i.problems.map((p) => p.field)])).toEqual([
      [1, 'D2 v3', ['account', 'costNode']],
      [2, 'LRS Data Stored', ['account', 'costNode']],
      [3, 'Microsoft 365 Business Standard', ['account', 'costNode']],
    ]);
    expect(none.items[2]!.problems[0]!.reason).toMatch(/sku "CFQ7TTC0LDPB:0001", category "licenses"/);

    const set = await put({
      system: 'xero',
      justification: 'Chart of accounts 2026',
      mappings: [
        { kind: 'category', value: 'compute', account: '200', taxCode: 'OUTPUT' },
        { kind: 'category', value: 'Storage', account: '200', taxCode: 'OUTPUT' },
        { kind: 'costNode', value: month.nodes.web, dimensions: { tracking: [{ name: 'Cost centre', option: 'Web' }] } },
      ],
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ system: 'xero', version: 1 });

    // Storage is fully mapped now; compute still goes to the unmapped unallocated node; seats have neither.
    const some = await problemsOf(`system=xero&billingRunId=${month.billingRunId}`);
    expect(some.items.map((i) => [i.position, i.problems.map((p) => p.field)])).toEqual([
      [1, ['costNode']],
      [3, ['account', 'costNode']],
    ]);
    // Another ERP's mapping is its own: QuickBooks still has every line to map.
    expect((await problemsOf(`system=quickbooks&customerId=${month.customerId}`)).items).toHaveLength(3);

    expect(
      (
        await put({
          system: 'xero',
          mappings: [
            { kind: 'sku', value: 'CFQ7TTC0LDPB:0001', account: '210', taxCode: 'OUTPUT' },
            { kind: 'costNode', value: month.nodes.unallocated, dimensions: { tracking: [{ name: 'Cost centre', option: 'Unallocated' }] } },
          ],
        })
      ).statusCode,
    ).toBe(200);
    expect(await problemsOf(`system=xero&invoiceId=${month.invoiceId}`)).toEqual({ items: [], truncated: false });
  });

  it('keeps each version and the before and after in the audit trail', async () => {
    const view = (await get('/v1/accounting-mappings?system=xero')).json();
    expect(view.version).toBe(2);
    const entries = view.items.map((i: { kind: string; value: string; account: string | null }) => [i.kind, i.value, i.account]);
    expect(entries).toHaveLength(5);
    expect(entries.slice(0, 2)).toEqual([['category', 'compute', '200'], ['category', 'Storage', '200']]);
    expect(entries.slice(2, 4)).toEqual(expect.arrayContaining([['costNode', month.nodes.unallocated, null], ['costNode', month.nodes.web, null]]));
    expect(entries[4]).toEqual(['sku', 'CFQ7TTC0LDPB:0001', '210']);
    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'accounting_mapping.update').orderBy('seq').execute();
    expect(audit.map((a) => [a.entity_id, a.justification])).toEqual([['xero@1', 'Chart of accounts 2026'], ['xero@2', null]]);
    expect((audit[1]!.before as { items: unknown[] }).items).toHaveLength(3);
    expect((audit[1]!.after as { items: unknown[] }).items).toHaveLength(5);

    const removed = await put({ system: 'xero', mappings: [{ kind: 'sku', value: 'cfq7ttc0ldpb:0001', remove: true }] });
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await problemsOf(`system=xero&invoiceId=${month.invoiceId}`)).items.map((i) => i.position)).toEqual([3]);
  });

  it('refuses entries a system cannot take, naming the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ system: 'xero', mappings: [{ kind: 'costNode', value: month.nodes.web, dimensions: { tracking: [{ name: 'a', option: '1' }, { name: 'b', option: '2' }, { name: 'c', option: '3' }] } }] }, 'mappings.0.dimensions.tracking', /at most two/],
      [{ system: 'xero', mappings: [{ kind: 'costNode', value: month.nodes.web, dimensions: { class: '7' } }] }, 'mappings.0.dimensions.class', /xero has no class/],
      [{ system: 'quickbooks', mappings: [{ kind: 'costNode', value: month.nodes.web, dimensions: { location: '3' } }] }, 'mappings.0.dimensions.location', /quickbooks has no location/],
      [{ system: 'netsuite', mappings: [{ kind: 'costNode', value: month.nodes.web }] }, 'mappings.0.dimensions', /dimensions/],
      [{ system: 'netsuite', mappings: [{ kind: 'category', value: 'compute' }] }, 'mappings.0.account', /GL account/],
      [{ system: 'netsuite', mappings: [{ kind: 'lineKind', value: 'discount', account: '4000' }] }, 'mappings.0.value', /minimum/],
      [{ system: 'netsuite', mappings: [{ kind: 'category', value: 'compute', account: '1' }, { kind: 'category', value: 'COMPUTE', account: '2' }] }, 'mappings.1.value', /repeats mappings.0/],
      [{ system: 'sage', mappings: [] }, 'system', /must be one of/],
      [{ system: 'xero', mappings: [{ kind: 'sku', value: 'nope:1', remove: true }] }, 'mappings.0.value', /no sku entry/],
    ];
    for (const [body, field, reason] of cases) {
      const res = await put(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().field, res.body).toBe(field);
      expect(res.json().detail).toMatch(reason);
    }
    expect((await get('/v1/accounting-mappings?system=xero')).json().version).toBe(3);
    expect((await put({ system: 'xero', mappings: [] }, hub.keys.billing_ops)).statusCode).toBe(403);
  });
});
