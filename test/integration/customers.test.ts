import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const post = (url: string, payload: unknown, key = hub.keys.admin) =>
  hub.app.inject({ method: 'POST', url, payload: payload as object, headers: hub.auth(key) });

describe('customers', () => {
  it('creates a customer with its links and an unallocated cost node', async () => {
    const res = await post('/v1/customers', {
      name: 'Fabrikam',
      billingCurrency: 'EUR',
      externalLinks: [{ system: 'partner-center', externalId: 'aaaa-1111' }, { system: 'salesforce', externalId: '001XYZ' }],
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ name: 'Fabrikam', billingCurrency: 'EUR', status: 'active' });
    expect(body.externalLinks.map((l: { system: string }) => l.system)).toEqual(['partner-center', 'salesforce']);
    expect(res.headers['x-request-id']).toBeTruthy();
    const nodes = await hub.app.inject({ method: 'GET', url: `/v1/customers/${body.id}/cost-nodes`, headers: hub.auth(hub.keys.finance) });
    expect(nodes.json().items).toMatchObject([{ kind: 'unallocated', name: 'Unallocated', parentId: null }]);
    const found = await hub.app.inject({ method: 'GET', url: '/v1/customers?system=partner-center&externalId=aaaa-1111', headers: hub.auth(hub.keys.auditor) });
    expect(found.json().items.map((c: { id: string }) => c.id)).toEqual([body.id]);
  });

  it('answers bad input with 400 naming the field and the reason', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{}, 'name', /required/],
      [{ name: 'X', billingCurrency: 'usd' }, 'billingCurrency', /pattern/],
      [{ name: 'X', color: 'red' }, 'color', /not a known field/],
      [{ name: 'X', externalLinks: [{ system: 'Partner Center', externalId: '1' }] }, 'externalLinks.0.system', /pattern/],
      [{ name: 'X', billingEmail: 'not-an-email' }, 'billingEmail', /format/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await post('/v1/customers', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem.type).toBe('/problems/validation');
      expect(problem.field).toBe(field);
      expect(problem.errors.find((e: { field: string }) => e.field === field).reason).toMatch(reason);
      expect(problem.requestId).toBe(res.headers['x-request-id']);
    }
    const bad = await hub.app.inject({ method: 'GET', url: '/v1/customers?cursor=garbage', headers: hub.auth(hub.keys.admin) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('cursor');
  });

  it('refuses a duplicate external id with 409 and writes nothing', async () => {
    const first = await post('/v1/customers', { name: 'Tailspin', externalLinks: [{ system: 'partner-center', externalId: 'dup-1' }] });
    expect(first.statusCode).toBe(201);
    const before = await hub.ctx.db.selectFrom('customers').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const second = await post('/v1/customers', { name: 'Tailspin again', externalLinks: [{ system: 'partner-center', externalId: 'dup-1' }] });
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ type: '/problems/conflict', field: 'externalLinks.0.externalId' });
    const after = await hub.ctx.db.selectFrom('customers').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    const other = await post('/v1/customers', { name: 'Other' });
    const link = await post(`/v1/customers/${other.json().id}/external-links`, { system: 'partner-center', externalId: 'dup-1' });
    expect(link.statusCode).toBe(409);
    expect(link.json().field).toBe('externalId');
  });

  it('paginates newest first with a cursor, never repeating or skipping', async () => {
    for (let i = 0; i < 7; i++) await post('/v1/customers', { name: `Page ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { statusCode: number; json(): { items: { id: string }[]; nextCursor: string | null } } = await hub.app.inject({
        method: 'GET',
        url: `/v1/customers?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        headers: hub.auth(hub.keys.admin),
      });
      expect(res.statusCode).toBe(200);
      const page: { items: { id: string }[]; nextCursor: string | null } = res.json();
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    const all = await hub.ctx.db.selectFrom('customers').select(['id']).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    expect(seen).toEqual(all.map((r) => r.id));
    expect(pages).toBe(Math.ceil(all.length / 3) + (all.length % 3 === 0 ? 1 : 0));
  });

  it('updates a customer and records before and after in the audit trail', async () => {
    const created = (await post('/v1/customers', { name: 'Northwind' })).json();
    const res = await hub.app.inject({
      method: 'PATCH',
      url: `/v1/customers/${created.id}`,
      payload: { name: 'Northwind Traders', status: 'inactive' },
      headers: { ...hub.auth(hub.keys.sales_ops), 'x-request-id': 'req-patch-1' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('req-patch-1');
    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity_id', '=', created.id).orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['customer.create', 'customer.update']);
    expect(audit[1]).toMatchObject({ request_id: 'req-patch-1' });
    expect((audit[1]!.before as { name: string }).name).toBe('Northwind');
    expect((audit[1]!.after as { name: string }).name).toBe('Northwind Traders');
    expect(audit[1]!.actor).toMatch(/^key:[0-9a-f-]{36}$/);
  });

  it('takes the tag keys a customer must carry, trimmed, refusing blank and repeated keys, and audits the change', async () => {
    const created = await post('/v1/customers', { name: 'Tagged Co', requiredTags: [' costCenter', 'project'] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().requiredTags).toEqual(['costCenter', 'project']);
    expect((await post('/v1/customers', { name: 'Untagged Co' })).json().requiredTags).toBeNull();
    const patch = (payload: unknown) =>
      hub.app.inject({ method: 'PATCH', url: `/v1/customers/${created.json().id}`, payload: payload as object, headers: hub.auth(hub.keys.billing_ops) });
    const cases: [unknown, string, RegExp][] = [
      [{ requiredTags: ['costCenter', '  '] }, 'requiredTags.1', /blank/],
      [{ requiredTags: ['costCenter', 'COSTCENTER'] }, 'requiredTags.1', /repeats requiredTags.0/],
      [{ requiredTags: [''] }, 'requiredTags.0', /blank/],
      [{ requiredTags: ['x'.repeat(513)] }, 'requiredTags.0', /512/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await patch(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().field, res.body).toBe(field);
      expect(res.json().errors.find((e: { field: string }) => e.field === field).reason).toMatch(reason);
    }
    const changed = await patch({ requiredTags: ['owner'] });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().requiredTags).toEqual(['owner']);
    expect((await patch({ requiredTags: [] })).json().requiredTags).toEqual([]);
    expect((await patch({ requiredTags: null })).json().requiredTags).toBeNull();
    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity_id', '=', created.json().id).where('action', '=', 'customer.update').orderBy('seq').execute();
    expect(audit.map((a) => [(a.before as { requiredTags: unknown }).requiredTags, (a.after as { requiredTags: unknown }).requiredTags])).toEqual([
      [['costCenter', 'project'], ['owner']],
      [['owner'], []],
      [[], null],
    ]);
  });

  it('lets a portal key see its own customer only', async () => {
    const mine = (await post('/v1/customers', { name: 'Portal Co' })).json();
    const theirs = (await post('/v1/customers', { name: 'Someone Else' })).json();
    const key = await hub.keyFor(['portal'], mine.id);
    expect((await hub.app.inject({ method: 'GET', url: `/v1/customers/${mine.id}`, headers: hub.auth(key) })).statusCode).toBe(200);
    expect((await hub.app.inject({ method: 'GET', url: `/v1/customers/${theirs.id}`, headers: hub.auth(key) })).statusCode).toBe(403);
    expect((await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: hub.auth(key) })).statusCode).toBe(403);
  });
});

describe('cost nodes', () => {
  it('builds a tree, refuses cycles and cross-customer parents, and keeps the unallocated node', async () => {
    const c = (await post('/v1/customers', { name: 'Tree Co' })).json();
    const other = (await post('/v1/customers', { name: 'Other Tree' })).json();
    const url = `/v1/customers/${c.id}/cost-nodes`;
    const bu = (await post(url, { name: 'Europe', kind: 'business_unit', glCostCentre: 'CC-100' })).json();
    const dept = (await post(url, { name: 'Finance', parentId: bu.id })).json();
    const project = (await post(url, { name: 'ERP rollout', parentId: dept.id, kind: 'project', psaProjectCode: 'P-42' })).json();
    expect(project.path).toEqual(['Europe', 'Finance', 'ERP rollout']);
    expect(project.depth).toBe(2);

    const tree = (await hub.app.inject({ method: 'GET', url, headers: hub.auth(hub.keys.auditor) })).json().items;
    expect(tree.map((n: { name: string }) => n.name)).toEqual(['Europe', 'Finance', 'ERP rollout', 'Unallocated']);

    const cycle = await hub.app.inject({ method: 'PATCH', url: `${url}/${bu.id}`, payload: { parentId: project.id }, headers: hub.auth(hub.keys.admin) });
    expect(cycle.statusCode).toBe(400);
    expect(cycle.json().field).toBe('parentId');

    const otherNode = (await post(`/v1/customers/${other.id}/cost-nodes`, { name: 'Theirs' })).json();
    const cross = await post(url, { name: 'Sneaky', parentId: otherNode.id });
    expect(cross.statusCode).toBe(400);
    expect(cross.json().field).toBe('parentId');

    const dupe = await post(url, { name: 'Finance', parentId: bu.id });
    expect(dupe.statusCode).toBe(409);
    expect(dupe.json().field).toBe('name');

    const unallocated = tree.find((n: { kind: string }) => n.kind === 'unallocated');
    const delUnalloc = await hub.app.inject({ method: 'DELETE', url: `${url}/${unallocated.id}`, headers: hub.auth(hub.keys.admin) });
    expect(delUnalloc.statusCode).toBe(409);
    const delParent = await hub.app.inject({ method: 'DELETE', url: `${url}/${dept.id}`, headers: hub.auth(hub.keys.admin) });
    expect(delParent.statusCode).toBe(409);
    const delLeaf = await hub.app.inject({ method: 'DELETE', url: `${url}/${project.id}`, headers: hub.auth(hub.keys.admin) });
    expect(delLeaf.statusCode).toBe(204);

    const moved = await hub.app.inject({ method: 'PATCH', url: `${url}/${dept.id}`, payload: { parentId: null, name: 'Group Finance' }, headers: hub.auth(hub.keys.admin) });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().path).toEqual(['Group Finance']);
  });
});
