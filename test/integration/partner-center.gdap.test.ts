import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGdap } from '../../src/jobs/partner-center/gdap-check.ts';
import { partnerCenterClientFor } from '../../src/jobs/partner-center/client-for-connection.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { connectSandbox, startSmallSandbox, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// GDAP consent from Microsoft Graph: the sandbox answers in Microsoft's documented shapes
// (test/fixtures/vendor/gdap.json), a sync reviews every customer's relationships, roles and
// expiry, skips the blocked ones with a clear status while the others continue, and alerts
// 30, 7 and 1 days before a relationship ends.

const facts = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'vendor', 'gdap.json'), 'utf8'));
const READER = facts.roles.directoryReaders as string;
const DAY = 86_400_000;

let hub: TestHub;
let worker: RunningWorker;
let sb: PartnerCenterSandbox;
let connectionId: string;
const tenants: string[] = [];
const customerOf: Record<string, string> = {};

const get = (url: string, key = hub.keys.billing_ops) => hub.app.inject({ method: 'GET', url, headers: hub.auth(key) });
const sync = async () =>
  waitForRun(hub, (await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'unbilled' } })).json().id);
const openAlerts = async () => ((await get('/v1/alerts?status=open', hub.keys.finance)).json().items as { kind: string; customerId: string; severity: string; message: string; detail: Record<string, unknown> }[]).filter((a) => a.kind.startsWith('consent.'));

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
  sb = await startSmallSandbox();
  connectionId = await connectSandbox(hub, sb);
  tenants.push(...sb.portfolio.customers.map((c) => c.id));
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
  await sb?.close();
});

describe('the sandbox GDAP endpoints', () => {
  it("list relationships and access assignments with Microsoft's fields, paged by $top and @odata.nextLink", async () => {
    const client = await partnerCenterClientFor(hub.ctx, connectionId);
    const token = (await client.tokenProvider.authorizationHeaders('graph', 'app-only')()).authorization ?? '';
    const fetchGraph = async (url: string) => fetch(url, { headers: { authorization: String(token) } });
    const first = await fetchGraph(`${sb.graphUrl}${facts.relationships.path}?$top=2`);
    expect(first.status).toBe(200);
    const page = (await first.json()) as { value: Record<string, unknown>[]; '@odata.nextLink'?: string };
    expect(page.value).toHaveLength(2);
    expect(page['@odata.nextLink']).toMatch(/\$skipToken=/);
    for (const r of page.value) {
      for (const field of facts.relationships.fields) expect(r, field).toHaveProperty(field);
      expect(Object.keys(r.customer as object).sort()).toEqual([...facts.relationships.customerFields].sort());
      expect(facts.relationships.statuses).toContain(r.status);
      expect(r.duration).toMatch(/^P\d+D$/);
    }
    const assignments = (await (await fetchGraph(`${sb.graphUrl}${facts.relationships.path}/${page.value[0]!.id}/accessAssignments`)).json()) as { value: Record<string, unknown>[] };
    for (const a of assignments.value) {
      for (const field of facts.accessAssignments.fields) expect(a, field).toHaveProperty(field);
      expect(Object.keys(a.accessContainer as object).sort()).toEqual([...facts.accessAssignments.accessContainerFields].sort());
    }
    expect((await fetchGraph(`${sb.graphUrl}${facts.relationships.path}?$top=${facts.relationships.maxTop + 1}`)).status).toBe(400);
    // The hub's client follows every page.
    expect(await client.delegatedAdminRelationships()).toHaveLength(5);
  });
});

describe('GDAP consent review', () => {
  it('skips expired, role-less and relationship-less customers with a clear status and alerts once; the others sync', async () => {
    // 0 expiring (20 days left), 1 active, 2 missing the role billing needs, 3 no relationship, 4 ended yesterday.
    sb.setGdap(tenants[0]!, { endDateTime: new Date(Date.now() + 20 * DAY).toISOString() });
    sb.setGdap(tenants[2]!, { assignedRoles: [facts.roles.globalReader] });
    sb.setGdap(tenants[3]!, { absent: true });
    sb.setGdap(tenants[4]!, { endDateTime: new Date(Date.now() - DAY).toISOString() });

    // The first sync meets the customers; GDAP judges each as its job starts.
    const run = await sync();
    expect(run.status).toBe('partial');
    expect(run.progress.customersDone).toBe(5);
    const links = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
    for (const l of links) customerOf[l.external_id] = l.entity_id;
    const ids = tenants.map((t) => customerOf[t.toLowerCase()]!);
    expect(run.errors.map((e: { customerId: string; message: string }) => [e.customerId, e.message.split(':')[0]]).sort()).toEqual(
      [
        [ids[2], 'skipped'],
        [ids[3], 'skipped'],
        [ids[4], 'skipped'],
      ].sort(),
    );
    expect(run.errors.find((e: { customerId: string }) => e.customerId === ids[2]).message).toMatch(/consent missing_roles/);
    const synced = await hub.ctx.db.selectFrom('subscriptions').select('customer_id').distinct().execute();
    expect(synced.map((s) => s.customer_id).sort()).toEqual([ids[0], ids[1]].sort());

    const consent = (await get(`/v1/customers/${ids[2]}/consent`)).json();
    expect(consent.connections).toHaveLength(1);
    expect(consent.connections[0]).toMatchObject({ connectionId, state: 'missing_roles', blocked: true, missingRoles: [READER] });
    expect(consent.connections[0].relationships[0]).toMatchObject({ status: 'active', assignedRoles: [facts.roles.globalReader] });
    expect((await get(`/v1/customers/${ids[0]}/consent`)).json().connections[0]).toMatchObject({ state: 'expiring', blocked: false, daysLeft: 20 });
    expect((await get(`/v1/customers/${ids[4]}/consent`)).json().connections[0]).toMatchObject({ state: 'expired', blocked: true });

    const review = (await get('/v1/consents')).json();
    expect(review.counts).toEqual({ active: 1, expiring: 1, expired: 1, missing_roles: 1, no_relationship: 1, lapsed: 0 });
    // Blocked first, then the nearest expiry.
    expect(review.items.slice(0, 3).every((i: { blocked: boolean }) => i.blocked)).toBe(true);
    expect(review.items.slice(3).map((i: { state: string }) => i.state)).toEqual(['expiring', 'active']);
    expect((await get('/v1/consents?state=expiring')).json().items.map((i: { customerId: string }) => i.customerId)).toEqual([ids[0]]);

    const alerts = await openAlerts();
    expect(alerts.map((a) => [a.customerId, a.kind, a.severity]).sort()).toEqual(
      [
        [ids[0], 'consent.expiring', 'warning'],
        [ids[2], 'consent.missing_roles', 'critical'],
        [ids[3], 'consent.no_relationship', 'critical'],
        [ids[4], 'consent.expired', 'critical'],
      ].sort(),
    );
    expect(alerts.find((a) => a.kind === 'consent.expiring')!.message).toMatch(/ends in 20 days/);

    // The next sync: blocked customers skipped quietly, no second alert.
    const again = await sync();
    expect(again.status).toBe('succeeded');
    expect(await openAlerts()).toHaveLength(4);

    // The customer grants the role: the daily review unblocks it and resolves its alert; the next sync includes it.
    sb.setGdap(tenants[2]!, { assignedRoles: [READER, facts.roles.globalReader] });
    await checkGdap(hub.ctx, connectionId);
    expect((await get(`/v1/customers/${ids[2]}/consent`)).json().connections[0]).toMatchObject({ state: 'active', blocked: false, missingRoles: [] });
    expect((await openAlerts()).map((a) => a.kind).sort()).toEqual(['consent.expired', 'consent.expiring', 'consent.no_relationship']);
    await sync();
    const now = await hub.ctx.db.selectFrom('subscriptions').select('customer_id').distinct().execute();
    expect(now.map((s) => s.customer_id)).toContain(ids[2]);
  });

  it('alerts 30, 7 and 1 days before the end, each once, and starts over when the relationship is renewed', async () => {
    const tenant = tenants[1]!;
    const customerId = customerOf[tenant.toLowerCase()]!;
    const end = new Date(Date.now() + 100 * DAY);
    sb.setGdap(tenant, { endDateTime: end.toISOString() });
    const expiring = async () => (await openAlerts()).filter((a) => a.kind === 'consent.expiring' && a.customerId === customerId).map((a) => [a.severity, a.detail.threshold]);
    const at = (daysBefore: number) => checkGdap(hub.ctx, connectionId, { now: new Date(end.getTime() - daysBefore * DAY) });

    await at(31);
    expect(await expiring()).toEqual([]);
    await at(30);
    expect(await expiring()).toEqual([['warning', 30]]);
    await at(20);
    await at(8);
    expect(await expiring()).toHaveLength(1);
    await at(7);
    await at(2);
    expect((await expiring()).sort()).toEqual([['warning', 30], ['warning', 7]].sort());
    await at(1);
    await at(0.5);
    expect((await expiring()).sort()).toEqual([['critical', 1], ['warning', 30], ['warning', 7]].sort());

    // Renewed: a new end date far ahead resolves the expiry alerts; its own countdown starts afresh.
    const renewed = new Date(end.getTime() + 730 * DAY);
    sb.setGdap(tenant, { endDateTime: renewed.toISOString() });
    await checkGdap(hub.ctx, connectionId, { now: new Date(end.getTime() - DAY) });
    expect(await expiring()).toEqual([]);
    await checkGdap(hub.ctx, connectionId, { now: new Date(renewed.getTime() - 7 * DAY) });
    expect(await expiring()).toEqual([['warning', 7]]);
  });

  it("judges consent on the roles the connection names (gdapRequiredRoles), refusing a value that is not a role id", async () => {
    const BILLING_ADMINISTRATOR = 'b0f54661-2d74-4c50-afa3-1ec803f12efe';
    const patch = (settings: object) => hub.app.inject({ method: 'PATCH', url: `/v1/connections/${connectionId}`, headers: hub.auth(hub.keys.admin), payload: { settings } });
    const current = (await get(`/v1/connections/${connectionId}`, hub.keys.admin)).json().settings;
    const bad = await patch({ ...current, gdapRequiredRoles: ['Directory Readers'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('gdapRequiredRoles');
    expect((await patch({ ...current, gdapRequiredRoles: [READER, BILLING_ADMINISTRATOR] })).statusCode).toBe(200);
    await checkGdap(hub.ctx, connectionId);
    const customerId = customerOf[tenants[1]!.toLowerCase()]!;
    expect((await get(`/v1/customers/${customerId}/consent`)).json().connections[0]).toMatchObject({ state: 'missing_roles', blocked: true, missingRoles: [BILLING_ADMINISTRATOR] });
  });
});
