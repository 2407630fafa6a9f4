import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/db/audit.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

async function makeChanges(n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(hub.keys.admin), payload: { name: `Audit ${i}` } });
    ids.push(res.json().id);
  }
  return ids;
}

describe('audit trail', () => {
  it('chains every row to the previous one, and verify passes on an untouched log', async () => {
    await makeChanges(5);
    const rows = await hub.ctx.db.selectFrom('audit_log').select(['seq', 'prev_hash', 'hash']).orderBy('seq').execute();
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    const result = await verifyAuditChain(hub.ctx.db);
    expect(result).toEqual({ ok: true, checked: rows.length });
  });

  it('refuses updates and deletes through the hub (append-only)', async () => {
    await expect(sql`update audit_log set actor = 'me'`.execute(hub.ctx.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(hub.ctx.db)).rejects.toThrow(/append-only/);
  });

  it('writes nothing when the change rolls back', async () => {
    const before = await hub.ctx.db.selectFrom('audit_log').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const dup = await hub.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: hub.auth(hub.keys.admin),
      payload: { name: 'Rollback', externalLinks: [{ system: 'psa', externalId: '1' }, { system: 'psa', externalId: '2' }] },
    });
    expect(dup.statusCode).toBe(409);
    const after = await hub.ctx.db.selectFrom('audit_log').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toEqual(before.n);
  });

  it('filters by entity and time through GET /v1/audit', async () => {
    const [id] = await makeChanges(1);
    await hub.app.inject({ method: 'PATCH', url: `/v1/customers/${id}`, headers: hub.auth(hub.keys.admin), payload: { name: 'Renamed' } });
    const res = await hub.app.inject({ method: 'GET', url: `/v1/audit?entity=customer&entityId=${id}`, headers: hub.auth(hub.keys.auditor) });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((e: { action: string }) => e.action)).toEqual(['customer.update', 'customer.create']);
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await hub.app.inject({ method: 'GET', url: `/v1/audit?entity=customer&from=${encodeURIComponent(future)}`, headers: hub.auth(hub.keys.auditor) });
    expect(none.json().items).toEqual([]);
    const page = await hub.app.inject({ method: 'GET', url: '/v1/audit?limit=2', headers: hub.auth(hub.keys.admin) });
    const next = await hub.app.inject({ method: 'GET', url: `/v1/audit?limit=2&cursor=${page.json().nextCursor}`, headers: hub.auth(hub.keys.admin) });
    expect(next.json().items[0].seq).toBeLessThan(page.json().items[1].seq);
    const forbidden = await hub.app.inject({ method: 'GET', url: '/v1/audit', headers: hub.auth(hub.keys.finance) });
    expect(forbidden.statusCode).toBe(403);
  });

  it('detects a row edited behind the hub\'s back and names the first broken link', async () => {
    await makeChanges(3);
    const rows = await hub.ctx.db.selectFrom('audit_log').select(['seq', 'id']).orderBy('seq').execute();
    const victim = rows[Math.floor(rows.length / 2)]!;
    // A DBA with superuser rights can switch the guard off; the chain still tells.
    await sql`alter table audit_log disable trigger audit_log_no_update`.execute(hub.ctx.db);
    await sql`update audit_log set after = jsonb_set(after, '{name}', '"Mallory"') where seq = ${victim.seq}`.execute(hub.ctx.db);
    await sql`alter table audit_log enable trigger audit_log_no_update`.execute(hub.ctx.db);
    const result = await verifyAuditChain(hub.ctx.db);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({ seq: victim.seq, id: victim.id });
    expect(result.firstBroken!.reason).toMatch(/edited/);
  });
});
