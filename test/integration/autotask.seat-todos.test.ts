import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotaskClientFor } from '../../src/jobs/autotask/client-for-connection.ts';
import { enqueueAutotaskSeatReconcile, reconcileAutotaskSeats } from '../../src/jobs/autotask/seat-reconcile.ts';
import { enqueueAutotaskTodoWrite, writeAutotaskSeatTodo } from '../../src/jobs/autotask/write-todo.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { COMPANIES, PROJECTS, startAutotaskSandbox, type AutotaskSandbox } from '../../src/sandbox/autotask/index.ts';
import { connectAutotask, linkAutotaskCompanies } from '../helpers/autotask.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

const BP = 'CFQ7TTC0LCHC:0002';
const E3 = 'CFQ7TTC0LFLX:0001';
const EXO = 'CFQ7TTC0LH16:0001';
const today = new Date().toISOString().slice(0, 10);
let hub: TestHub;
let sandbox: AutotaskSandbox;
let connectionId = '';
let customers: Awaited<ReturnType<typeof linkAutotaskCompanies>>;

async function microsoftSeats(customerId: string, sku: string, quantity: number) {
  await hub.ctx.db
    .insertInto('subscriptions')
    .values({ customer_id: customerId, offer_id: sku, sku_id: sku.split(':')[1]!, quantity, status: 'active', billing_type: 'license', last_synced_at: new Date('2026-12-01T06:00:00Z') })
    .execute();
}

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startAutotaskSandbox({ timeEntries: 0 });
  connectionId = await connectAutotask(hub, sandbox);
  customers = await linkAutotaskCompanies(hub, COMPANIES, PROJECTS);
  // Sandbox contracts bill Contoso 20 × service 9001 (Business Premium), Fabrikam 10 × 9002 (E3), Northwind 5 × 9001.
  await microsoftSeats(customers.get(1001)!.customerId, BP, 25);
  await microsoftSeats(customers.get(1002)!.customerId, E3, 10);
  await microsoftSeats(customers.get(1002)!.customerId, EXO, 12);
  await microsoftSeats(customers.get(1003)!.customerId, BP, 3);
  const mapped = await hub.app.inject({
    method: 'PUT',
    url: `/v1/connections/${connectionId}/psa-product-mappings`,
    headers: hub.auth(hub.keys.billing_ops),
    payload: { items: [{ sku: BP, product: '9001' }, { sku: E3, product: '9002' }, { sku: EXO, product: '9003' }] },
  });
  expect(mapped.statusCode, mapped.body).toBe(200);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const work = () => runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
const call = (method: 'GET' | 'POST', url: string, key: string, payload?: Record<string, unknown>) => hub.app.inject({ method, url, headers: hub.auth(key), ...(payload === undefined ? {} : { payload }) });
const todos = async () => (await call('GET', '/v1/psa-todos', hub.keys.auditor)).json().items as { id: string; customerId: string; kind: string; sku: string; status: string; evidence: Record<string, string | null>; plannedWrite: unknown }[];
const todoOf = async (companyId: number, sku: string) => (await todos()).find((t) => t.customerId === customers.get(companyId)!.customerId && t.sku === sku)!;
const approve = async (companyId: number, sku: string): Promise<string> => {
  const { id } = await todoOf(companyId, sku);
  const res = await call('POST', `/v1/psa-todos/${id}/approve`, hub.keys.finance, {});
  expect(res.statusCode, res.body).toBe(200);
  return id;
};

describe('Autotask contract seat reconciliation', () => {
  it('turns each seat difference into one to-do with its evidence, and finds the same ones again without doubling them', async () => {
    await enqueueAutotaskSeatReconcile(hub.ctx, connectionId);
    await work();
    const found = await todos();
    expect(found.map((t) => [t.customerId, t.kind, t.sku, t.evidence.microsoftQuantity, t.evidence.psaQuantity, t.evidence.psaUnitPrice]).sort()).toEqual(
      [
        [customers.get(1001)!.customerId, 'increase', BP, '25', '20', '22'],
        [customers.get(1002)!.customerId, 'missing_product', EXO, '12', null, null],
        [customers.get(1003)!.customerId, 'decrease', BP, '3', '5', '22'],
      ].sort(),
    );
    expect(await reconcileAutotaskSeats({ connectionId }, hub.ctx)).toEqual({ created: 0, kept: 3, superseded: 0 });
    expect((await todos()).map((t) => t.id).sort()).toEqual(found.map((t) => t.id).sort());
    expect(sandbox.stats().writes).toBe(0);
  });

  it('previews the ContractServiceAdjustment an approval would make, writing nothing', async () => {
    const todo = await todoOf(1001, BP);
    const res = await call('POST', '/v1/psa-todos/preview', hub.keys.finance, { ids: [todo.id] });
    expect(res.statusCode, res.body).toBe(200);
    // Autotask's adjustment fields (test/fixtures/vendor/autotask.json): +5 units of service 9001 on contract 501's service 7001 from today.
    expect(res.json().writes).toEqual([
      {
        todoId: todo.id,
        status: 'open',
        write: {
          method: 'POST',
          path: 'ContractServiceAdjustments',
          body: { contractID: 501, contractServiceID: 7001, serviceID: 9001, effectiveDate: today, unitChange: 5 },
          expect: { serviceID: 9001, contractIDs: [501], on: today, units: 25 },
        },
      },
    ]);
    expect(sandbox.stats().writes).toBe(0);
  });

  it('writes an approved item as exactly one adjustment, even when the job runs again or after a crash before its bookkeeping', async () => {
    const todo = { id: await approve(1001, BP) };
    // The approval delivered twice queues one job.
    await enqueueAutotaskTodoWrite(hub.ctx.db, todo.id);
    await work();
    expect(sandbox.account.adjustments).toHaveLength(1);
    expect(sandbox.account.adjustments[0]).toMatchObject({ contractID: 501, contractServiceID: 7001, serviceID: 9001, effectiveDate: today, unitChange: 5 });
    expect(sandbox.account.unitsOn(7001, today)).toBe(25);

    expect(await writeAutotaskSeatTodo({ todoId: todo.id }, hub.ctx)).toBe('not_approved');
    // A crash after Autotask took the adjustment but before the to-do was marked: the re-run reads the units back and adjusts nothing.
    await hub.ctx.db.updateTable('psa_todos').set({ status: 'approved', written_at: null }).where('id', '=', todo.id).execute();
    const { client } = await autotaskClientFor(hub.ctx, connectionId);
    expect(await writeAutotaskSeatTodo({ todoId: todo.id }, hub.ctx, { client })).toBe('already_applied');
    expect(sandbox.account.adjustments).toHaveLength(1);

    const audit = await hub.ctx.db.selectFrom('audit_log').select(['actor', 'after']).where('action', '=', 'psa_todo.write').where('entity_id', '=', todo.id).orderBy('seq').execute();
    expect(audit.map((a) => (a.after as { outcome: string }).outcome)).toEqual(['written', 'already_applied']);
    expect(audit[0]!.after).toMatchObject({ outcome: 'written', recordId: 1, approvedBy: expect.stringMatching(/^key:/) });
  });

  it('adds a missing service to the customer’s contract and lowers a decrease, one adjustment each', async () => {
    await approve(1002, EXO);
    await approve(1003, BP);
    await work();
    expect(sandbox.account.adjustments.slice(1).map((a) => [a.contractID, a.serviceID, a.unitChange])).toEqual(
      expect.arrayContaining([
        [502, 9003, 12],
        [503, 9001, -2],
      ]),
    );
    expect(sandbox.account.adjustments).toHaveLength(3);
    const exo = [...sandbox.account.contractServices.values()].find((s) => s.contractID === 502 && s.serviceID === 9003)!;
    expect(sandbox.account.unitsOn(exo.id as number, today)).toBe(12);
    expect(sandbox.account.unitsOn(7003, today)).toBe(3);
  });

  it('has nothing left to do once Autotask agrees with Microsoft', async () => {
    await reconcileAutotaskSeats({ connectionId }, hub.ctx);
    expect(await todos()).toEqual([]);
  });
});
