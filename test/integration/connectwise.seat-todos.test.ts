import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectwiseClientFor } from '../../src/jobs/connectwise/client-for-connection.ts';
import { enqueueSeatReconcile, reconcileConnectWiseSeats } from '../../src/jobs/connectwise/seat-reconcile.ts';
import { writeSeatTodo } from '../../src/jobs/connectwise/write-todo.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { COMPANIES, PROJECTS, startConnectWiseSandbox, type ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { connectConnectWise, linkSandboxCompanies } from '../helpers/connectwise.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

const BP = 'CFQ7TTC0LCHC:0002';
const E3 = 'CFQ7TTC0LFLX:0001';
let hub: TestHub;
let sandbox: ConnectWiseSandbox;
let connectionId = '';
let customers: Awaited<ReturnType<typeof linkSandboxCompanies>>;
let financeKeyId = '';

/**
 * Microsoft's seats for a SKU. With `changedByKey`, a person (that API key) took the
 * subscription from quantity − 2 to quantity through the hub's seat-change route.
 */
async function microsoftSeats(customerId: string, sku: string, quantity: number, changedByKey?: string) {
  const sub = await hub.ctx.db
    .insertInto('subscriptions')
    .values({ customer_id: customerId, offer_id: sku, sku_id: sku.split(':')[1]!, quantity: changedByKey ? quantity - 2 : quantity, status: 'active', billing_type: 'license', last_synced_at: new Date('2026-12-01T06:00:00Z') })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (changedByKey) {
    const res = await hub.app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${sub.id}/seat-changes`,
      headers: hub.auth(changedByKey),
      payload: { quantity, effectiveDate: '2026-12-01', reason: 'Two new starters' },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ type: 'add', quantityBefore: quantity - 2, quantityAfter: quantity, requestedBy: `key:${financeKeyId}` });
  }
}

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startConnectWiseSandbox({ timeEntries: 0 });
  connectionId = await connectConnectWise(hub, sandbox);
  customers = await linkSandboxCompanies(hub, COMPANIES, PROJECTS);
  const finance = await hub.ctx.db.selectFrom('api_keys').select('id').where('name', '=', 'test finance').executeTakeFirstOrThrow();
  financeKeyId = finance.id;
  // Sandbox agreements: Contoso bills 20 × M365-BP, Fabrikam 10 × M365-E3, Northwind 5 × M365-BP.
  await microsoftSeats(customers.get(250)!.customerId, BP, 25);
  await microsoftSeats(customers.get(251)!.customerId, E3, 10);
  await microsoftSeats(customers.get(252)!.customerId, BP, 7, hub.keys.finance);
  const mapped = await hub.app.inject({
    method: 'PUT',
    url: `/v1/connections/${connectionId}/psa-product-mappings`,
    headers: hub.auth(hub.keys.billing_ops),
    payload: { items: [{ sku: BP, product: 'M365-BP' }, { sku: E3, product: 'M365-E3' }] },
  });
  expect(mapped.statusCode, mapped.body).toBe(200);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const call = (method: 'GET' | 'POST', url: string, key: string, payload?: Record<string, unknown>) => hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload }) });
const openTodos = async () => (await call('GET', '/v1/psa-todos', hub.keys.auditor)).json().items as { id: string; customerId: string; kind: string; sku: string; status: string; evidence: Record<string, string | null>; requestedBy: string | null; plannedWrite: unknown }[];
const todoOf = async (companyId: number) => (await openTodos()).find((t) => t.customerId === customers.get(companyId)!.customerId)!;

describe('ConnectWise agreement seat reconciliation', () => {
  it('turns each seat difference into one to-do with its evidence, and finds the same ones again without doubling them', async () => {
    await enqueueSeatReconcile(hub.ctx, connectionId);
    await work();
    const todos = await openTodos();
    expect(todos.map((t) => [t.customerId, t.kind, t.sku, t.evidence.microsoftQuantity, t.evidence.psaQuantity, t.evidence.psaUnitPrice]).sort()).toEqual(
      [
        [customers.get(250)!.customerId, 'increase', BP, '25', '20', '22'],
        [customers.get(252)!.customerId, 'increase', BP, '7', '5', '22'],
      ].sort(),
    );
    expect(todos.find((t) => t.customerId === customers.get(252)!.customerId)!.requestedBy).toBe(`key:${financeKeyId}`);
    const counts = await reconcileConnectWiseSeats({ connectionId }, hub.ctx);
    expect(counts).toEqual({ created: 0, kept: 2, superseded: 0 });
    expect((await openTodos()).map((t) => t.id).sort()).toEqual(todos.map((t) => t.id).sort());
    expect(sandbox.stats().writes).toBe(0);
  });

  it('previews the write an approval would make, writing nothing', async () => {
    const todo = await todoOf(250);
    const res = await call('POST', '/v1/psa-todos/preview', hub.keys.finance, { ids: [todo.id] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().writes).toEqual([
      { todoId: todo.id, status: 'open', write: { method: 'PATCH', path: 'finance/agreements/501/additions/7001', operations: [{ op: 'replace', path: 'quantity', value: 25 }] } },
    ]);
    expect(sandbox.stats().writes).toBe(0);
  });

  it('requires a reason to dismiss', async () => {
    const todo = await todoOf(250);
    for (const payload of [{}, { reason: '   ' }]) {
      const res = await call('POST', `/v1/psa-todos/${todo.id}/dismiss`, hub.keys.finance, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().detail).toMatch(/reason/);
    }
  });

  it('refuses a seat change without a reason, to the same count, or of an unknown subscription, naming the field', async () => {
    const sub = await hub.ctx.db.selectFrom('subscriptions').select(['id', 'quantity']).where('customer_id', '=', customers.get(251)!.customerId).executeTakeFirstOrThrow();
    const change = (id: string, payload: Record<string, unknown>) => hub.app.inject({ method: 'POST', url: `/v1/subscriptions/${id}/seat-changes`, headers: hub.auth(hub.keys.sales_ops), payload });
    const noReason = await change(sub.id, { quantity: 12, effectiveDate: '2026-12-01', reason: '  ' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe('reason');
    const same = await change(sub.id, { quantity: sub.quantity, effectiveDate: '2026-12-01', reason: 'no change' });
    expect(same.statusCode).toBe(400);
    expect(same.json().field).toBe('quantity');
    expect((await change('00000000-0000-4000-8000-000000000000', { quantity: 1, effectiveDate: '2026-12-01', reason: 'x' })).statusCode).toBe(404);
    const events = await hub.ctx.db.selectFrom('subscription_events').select('id').where('subscription_id', '=', sub.id).execute();
    expect(events).toEqual([]);
  });

  it('refuses an approval by the person whose change caused the difference', async () => {
    const todo = await todoOf(252);
    const refused = await call('POST', `/v1/psa-todos/${todo.id}/approve`, hub.keys.finance, {});
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toMatch(/another person must approve/);
    const approved = await call('POST', `/v1/psa-todos/${todo.id}/approve`, hub.keys.sales_ops, {});
    expect(approved.statusCode, approved.body).toBe(200);
  });

  it('writes an approved item exactly once, even when the job runs again or after a crash before its bookkeeping', async () => {
    const todo = await todoOf(250);
    const approved = await call('POST', `/v1/psa-todos/${todo.id}/approve`, hub.keys.finance, { comment: 'customer added 5 users' });
    expect(approved.statusCode, approved.body).toBe(200);
    const writesBefore = sandbox.stats().writes;
    await work();
    // Both approved items (Contoso's and Northwind's) were written, one call each.
    expect(sandbox.stats().writes).toBe(writesBefore + 2);
    expect(sandbox.account.agreements.get(501)!.additions.get(7001)!.quantity).toBe(25);
    expect(sandbox.account.agreements.get(503)!.additions.get(7003)!.quantity).toBe(7);

    expect(await writeSeatTodo({ todoId: todo.id }, hub.ctx)).toBe('not_approved');
    // A crash after ConnectWise took the write but before the to-do was marked: the re-run reads back and writes nothing.
    await hub.ctx.db.updateTable('psa_todos').set({ status: 'approved', written_at: null }).where('id', '=', todo.id).execute();
    const client = (await connectwiseClientFor(hub.ctx, connectionId)).client;
    expect(await writeSeatTodo({ todoId: todo.id }, hub.ctx, { client })).toBe('already_applied');
    expect(sandbox.stats().writes).toBe(writesBefore + 2);

    const audit = await hub.ctx.db.selectFrom('audit_log').select(['actor', 'after']).where('action', '=', 'psa_todo.write').where('entity_id', '=', todo.id).orderBy('seq').execute();
    expect(audit[0]!.after).toMatchObject({ outcome: 'written', recordId: '7001', approvedBy: expect.stringMatching(/^key:/) });
  });

  it('has nothing left to do once the PSA agrees with Microsoft', async () => {
    await reconcileConnectWiseSeats({ connectionId }, hub.ctx);
    expect(await openTodos()).toEqual([]);
  });

  it('refuses a mapping that sends one SKU two ways, naming the item', async () => {
    const res = await hub.app.inject({
      method: 'PUT',
      url: `/v1/connections/${connectionId}/psa-product-mappings`,
      headers: hub.auth(hub.keys.admin),
      payload: { items: [{ sku: BP, product: 'M365-BP' }, { sku: BP, product: 'M365-E3' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/items\.1\.sku/);
  });
});
