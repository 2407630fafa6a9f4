import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit.ts';
import { runErasure } from '../../src/db/erasure.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { closedInvoice } from '../helpers/closed-invoice.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// GDPR erasure: a client's billing contact (with an earlier address), an invoice e-mailed
// to her, her UPN in Azure resource tags. After the erasure no table in the database holds
// any of it, while the invoice, its lineage and every amount are as they were and the audit
// chain still verifies.

let hub: TestHub;
let customerId = '';
let invoiceId = '';
const TENANT = 'f1b2c3d4-0000-4000-8000-0000000000f1';
const PERSONAL = ['jane.old@client.example', 'jane.doe@client.example', 'j.doe@client.onmicrosoft.com'];

function send(method: 'GET' | 'POST' | 'PATCH', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

/** Every table in every schema of the database that holds `value` anywhere in a row. */
async function tablesHolding(value: string): Promise<string[]> {
  const { rows: tables } = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(hub.ctx.db);
  const holding: string[] = [];
  for (const t of tables) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`${t.schema}.${t.name}`)} as x where strpos(x::text, ${value}) > 0`.execute(hub.ctx.db);
    if (rows[0]!.n > 0) holding.push(`${t.schema}.${t.name}`);
  }
  return holding;
}

async function financialState() {
  const invoice = await hub.ctx.db.selectFrom('invoices').selectAll().where('id', '=', invoiceId).executeTakeFirstOrThrow();
  const lines = await hub.ctx.db.selectFrom('invoice_lines').select(['id', 'amount']).where('invoice_id', '=', invoiceId).orderBy('position').execute();
  const sources = await hub.ctx.db.selectFrom('invoice_line_sources').select(['usage_line_ids', 'price', 'cost']).where('invoice_line_id', 'in', lines.map((l) => l.id)).orderBy('id').execute();
  const usage = await sql<{ ids: string; total: string }>`select string_agg(id::text, ',' order by id) as ids, sum(billing_pre_tax_total)::text as total from usage_lines where customer_id = ${customerId}::uuid`.execute(hub.ctx.db);
  return { total: invoice.total, number: invoice.number, fingerprint: invoice.fingerprint, lines, sources, usage: usage.rows[0] };
}

let before: Awaited<ReturnType<typeof financialState>>;
let erasureId = '';

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  ({ customerId, invoiceId } = await closedInvoice(hub, TENANT, 'Doe Consulting', {
    billingEmail: 'jane.old@client.example',
    usage: [{ Tags: '{"owner":"j.doe@client.onmicrosoft.com","project":"web"}' }, { UsageDate: '10/4/2026 0:00', Tags: '{"project":"web"}' }],
  }));
  expect((await send('PATCH', `/v1/customers/${customerId}`, hub.keys.admin, { billingEmail: 'jane.doe@client.example' })).statusCode).toBe(200);
  expect((await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, {})).statusCode).toBe(202);
  for (const value of PERSONAL) expect(await tablesHolding(value), value).not.toEqual([]);
  before = await financialState();
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('POST /v1/customers/{id}/erasure', () => {
  it('needs a reason and an admin', async () => {
    const noReason = await send('POST', `/v1/customers/${customerId}/erasure`, hub.keys.admin, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe('reason');
    expect((await send('POST', `/v1/customers/${customerId}/erasure`, hub.keys.finance, { reason: 'DSR-1' })).statusCode).toBe(403);
    expect((await send('POST', '/v1/customers/00000000-0000-4000-8000-000000000000/erasure', hub.keys.admin, { reason: 'DSR-1' })).statusCode).toBe(404);
  });

  it('runs as a job: a crash part-way leaves nothing half-erased, and the retry finishes it', async () => {
    // A real failure inside the erasure's transaction, after the customer, usage and delivery
    // rows were already changed in it: the first redaction of the audit log fails once.
    await sql`create table erasure_crash (armed boolean not null)`.execute(hub.ctx.db);
    await sql`insert into erasure_crash values (true)`.execute(hub.ctx.db);
    await sql`create function erasure_crash() returns trigger language plpgsql as $$
      begin
        if (select armed from erasure_crash) then raise exception 'simulated crash mid-erasure'; end if;
        return new;
      end $$`.execute(hub.ctx.db);
    await sql`create trigger erasure_crash before update on audit_log for each row execute function erasure_crash()`.execute(hub.ctx.db);

    const res = await send('POST', `/v1/customers/${customerId}/erasure`, hub.keys.admin, { reason: 'Data subject request DSR-2026-114' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ status: 'pending', changed: {}, completedAt: null });
    erasureId = res.json().id;
    expect(res.headers.location).toBe(`/v1/erasures/${erasureId}`);
    // Asked again while pending: the same erasure, one job (its key is the data subject).
    const again = await send('POST', `/v1/customers/${customerId}/erasure`, hub.keys.admin, { reason: 'Data subject request DSR-2026-114' });
    expect(again.statusCode).toBe(202);
    expect(again.json().id).toBe(erasureId);
    const jobs = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'gdpr:erase'`.execute(hub.ctx.db);
    expect(jobs.rows[0]!.n).toBe(1);

    const failed = await until(async () => {
      const { rows } = await sql<{ attempts: number; last_error: string | null }>`select attempts, last_error from graphile_worker.jobs where task_identifier = 'gdpr:erase'`.execute(hub.ctx.db);
      return rows[0] && rows[0].attempts >= 1 && rows[0].last_error ? rows[0] : undefined;
    });
    expect(failed.last_error).toMatch(/simulated crash mid-erasure/);
    // Nothing of the erasure stuck: every personal value is where it was, the chain verifies.
    for (const value of PERSONAL) expect(await tablesHolding(value), value).not.toEqual([]);
    expect((await send('GET', `/v1/erasures/${erasureId}`, hub.keys.admin)).json().status).toBe('pending');
    expect(await verifyAuditChain(hub.ctx.db)).toMatchObject({ ok: true });

    // The database is back; the retry (brought forward) runs the erasure from the start.
    await sql`update erasure_crash set armed = false`.execute(hub.ctx.db);
    await sql`update graphile_worker._private_jobs set run_at = now() where task_id = (select id from graphile_worker._private_tasks where identifier = 'gdpr:erase')`.execute(hub.ctx.db);
    const done = await until(async () => {
      const status = (await send('GET', `/v1/erasures/${erasureId}`, hub.keys.admin)).json();
      return status.status === 'done' ? status : undefined;
    });
    await sql`drop trigger erasure_crash on audit_log`.execute(hub.ctx.db);
    expect(done.completedAt).not.toBeNull();
    expect(done.changed).toMatchObject({ personalValues: 3, customers: 1, usageLines: 1, invoiceDeliveries: 1 });
    expect(done.changed.auditRows).toBeGreaterThanOrEqual(2);
  });

  it('changes nothing when the job runs again', async () => {
    const snapshot = async () => (await sql<{ n: string }>`select md5(string_agg(x::text, '|' order by seq))::text as n from audit_log x`.execute(hub.ctx.db)).rows[0]!.n;
    const before = await snapshot();
    await hub.ctx.db.transaction().execute(async (trx) => expect(await runErasure(trx, erasureId)).toBe('already_done'));
    expect(await snapshot()).toBe(before);
  });

  it("leaves none of the person's data in any table of the database", async () => {
    for (const value of PERSONAL) expect(await tablesHolding(value), value).toEqual([]);
    const customer = (await send('GET', `/v1/customers/${customerId}`, hub.keys.admin)).json();
    expect(customer.billingEmail).toBeNull();
    // The tag keeps its key and a pseudonym; the other tags are untouched.
    const tags = await hub.ctx.db.selectFrom('usage_lines').select('tags').where('customer_id', '=', customerId).orderBy('usage_date').execute();
    expect(tags[0]!.tags).toEqual({ owner: expect.stringMatching(/^erased-[0-9a-f]{16}$/), project: 'web' });
    expect(tags[1]!.tags).toEqual({ project: 'web' });
  });

  it('keeps the invoice, its lines, lineage and every amount, and the invoice still adds up', async () => {
    const after = await financialState();
    expect(after).toEqual(before);
    expect(after.lines.reduce((s, l) => s.plus(l.amount), new Decimal(0)).equals(after.total)).toBe(true);
    expect(new Decimal(after.total).equals('1000.00')).toBe(true);
    const doc = await send('GET', `/v1/invoices/${invoiceId}/document?format=summary&type=csv`, hub.keys.finance);
    expect(doc.statusCode).toBe(200);
  });

  it('keeps the audit chain verifiable, and still detects an edit of a redacted row', async () => {
    expect(await verifyAuditChain(hub.ctx.db)).toMatchObject({ ok: true });
    const redacted = await hub.ctx.db.selectFrom('audit_log').select(['seq', 'action']).where('redacted_by', 'is not', null).orderBy('seq').execute();
    expect(redacted.map((r) => r.action)).toEqual(expect.arrayContaining(['customer.update']));
    const erasure = await hub.ctx.db.selectFrom('audit_log').select(['after', 'justification']).where('action', '=', 'customer.erasure').executeTakeFirstOrThrow();
    expect(erasure.justification).toBe('Data subject request DSR-2026-114');
    expect((erasure.after as { redacted: { seq: number }[] }).redacted.map((r) => Number(r.seq))).toEqual(redacted.map((r) => Number(r.seq)));
    // Outside the hub's code (the trigger off, as a superuser could): the edit is caught.
    await sql`alter table audit_log disable trigger audit_log_no_update`.execute(hub.ctx.db);
    await sql`update audit_log set after = jsonb_set(after, '{name}', '"Tampered"') where seq = ${redacted[0]!.seq}`.execute(hub.ctx.db);
    await sql`alter table audit_log enable trigger audit_log_no_update`.execute(hub.ctx.db);
    const result = await verifyAuditChain(hub.ctx.db);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq: redacted[0]!.seq, reason: expect.stringContaining('erasure recorded') });
  });

  it('lets nothing but a redaction through the append-only trigger', async () => {
    const row = await hub.ctx.db.selectFrom('audit_log').select(['seq']).where('redacted_by', 'is', null).orderBy('seq').limit(1).executeTakeFirstOrThrow();
    await expect(sql`update audit_log set actor = 'someone else' where seq = ${row.seq}`.execute(hub.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = ${row.seq}`.execute(hub.ctx.db)).rejects.toThrow(/append-only/);
  });
});
