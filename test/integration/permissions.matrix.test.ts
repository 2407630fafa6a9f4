import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The served API checked against test/fixtures/permission-matrix.json, a policy written
// apart from the routes: every operation of the OpenAPI document is in it, each role it
// does not list gets 403, each role it lists gets past authorization, and a client's
// portal key sees only the fields listed for it, walking every response it gets.

type Role = 'admin' | 'finance' | 'sales_ops' | 'billing_ops' | 'auditor' | 'portal';
interface PortalGrant {
  scope: 'customer' | 'invoice' | 'list' | 'self';
  body?: 'document';
  fields: string[];
}
type Entry = 'public' | { roles: Role[]; portal?: PortalGrant };
interface Matrix {
  roles: Role[];
  routes: Record<string, Entry>;
}

const matrix = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'permission-matrix.json'), 'utf8')) as Matrix;

/**
 * Names a client must never see, whatever the route: what the MSP paid (cost, Microsoft's
 * price), what it adds (markup) and what it keeps (margin), and the unrounded figures a
 * cost could be worked back from. Cost *nodes* and GL cost *centres* are the client's own
 * hierarchy, not a cost.
 */
function revealsCost(name: string): boolean {
  const n = name.toLowerCase().replace(/costnode|costcentre|costcenter/g, '');
  return /cost|markup|margin|microsoft|unrounded|exact|pricing|effectiveunitprice|billingpretax|pctobc/.test(n);
}

/** Every member path in a JSON value: a.b, a[].b; the keys under a map path (a.*) are data, not fields. */
function fieldPaths(value: unknown, maps: Set<string>, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) fieldPaths(item, maps, `${prefix}[]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = maps.has(prefix) ? `${prefix}.*` : prefix ? `${prefix}.${key}` : key;
      out.add(path);
      fieldPaths(child, maps, path, out);
    }
  }
  return out;
}

/** Every property name declared anywhere in a JSON schema (components resolved by the caller). */
function schemaPropertyNames(schema: unknown, components: Record<string, unknown>, seen = new Set<string>(), out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) schemaPropertyNames(s, components, seen, out);
  else if (schema !== null && typeof schema === 'object') {
    const node = schema as Record<string, unknown>;
    if (typeof node.$ref === 'string') {
      const name = node.$ref.split('/').pop()!;
      if (!seen.has(name)) {
        seen.add(name);
        schemaPropertyNames(components[name], components, seen, out);
      }
    }
    if (node.properties && typeof node.properties === 'object') for (const key of Object.keys(node.properties)) out.add(key);
    for (const child of Object.values(node)) schemaPropertyNames(child, components, seen, out);
  }
  return out;
}

let hub: TestHub;
let worker: RunningWorker;
let operations: { method: string; path: string; key: string }[];
let components: Record<string, unknown>;
let responses: Record<string, unknown>;
const mine = { customer: '', invoice: '', node: '', rule: '' };
const theirs = { customer: '', invoice: '', node: '', rule: '', card: '' };
const keys = {} as Record<Role, string>;
const TENANT = { mine: 'b1b2c3d4-0000-4000-8000-0000000000a1', theirs: 'b1b2c3d4-0000-4000-8000-0000000000b2' };

function send(method: string, url: string, key: string | undefined, payload?: object) {
  return hub.app.inject({ method: method as 'GET', url, headers: key ? hub.auth(key) : {}, ...(payload ? { payload } : {}) });
}

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 2, crontab: '' });
  await ingestUsageRecords(hub.database, [
    usageRecord({ CustomerId: TENANT.mine, CustomerName: 'Portal Client' }),
    usageRecord({ CustomerId: TENANT.mine, CustomerName: 'Portal Client', UsageDate: '10/4/2026 0:00', Tags: '{"project":"web"}' }),
    usageRecord({ CustomerId: TENANT.theirs, CustomerName: 'Other Client' }),
  ]);
  await ingestLicenseRecords(hub.database, [licenseRecord({ CustomerId: TENANT.mine, CustomerName: 'Portal Client', Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1' })]);
  const links = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  mine.customer = links.find((l) => l.external_id === TENANT.mine)!.entity_id;
  theirs.customer = links.find((l) => l.external_id === TENANT.theirs)!.entity_id;

  const admin = hub.keys.admin;
  mine.node = (await send('POST', `/v1/customers/${mine.customer}/cost-nodes`, admin, { name: 'Web' })).json().id;
  const rule = await send('POST', `/v1/customers/${mine.customer}/allocation-rules`, admin, {
    justification: 'Agreed with the client',
    effectiveFrom: '2026-01-01',
    priority: 1,
    match: { tag: { key: 'project', value: 'web' } },
    splits: [{ costNodeId: mine.node, percent: '100' }],
  });
  expect(rule.statusCode, rule.body).toBe(201);
  mine.rule = rule.json().id;
  theirs.node = (await send('POST', `/v1/customers/${theirs.customer}/cost-nodes`, admin, { name: 'Ops' })).json().id;
  const theirRule = await send('POST', `/v1/customers/${theirs.customer}/allocation-rules`, admin, {
    justification: 'Agreed with the other client',
    effectiveFrom: '2026-01-01',
    priority: 1,
    match: { resourceGroup: 'ops' },
    splits: [{ costNodeId: theirs.node, percent: '100' }],
  });
  expect(theirRule.statusCode, theirRule.body).toBe(201);
  theirs.rule = theirRule.json().id;
  for (const customerId of [mine.customer, theirs.customer]) {
    const card = await send('POST', '/v1/rate-cards', admin, {
      name: 'Card',
      customerId,
      currency: 'USD',
      effectiveFrom: '2026-09-01',
      justification: 'Agreed prices',
      minimumMonthly: '50.00',
      targetMarginPercent: '12',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
    });
    expect(card.statusCode, card.body).toBe(201);
    if (customerId === theirs.customer) theirs.card = card.json().id;
    for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
      expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {})).statusCode).toBe(200);
    }
  }
  const run = await send('POST', '/v1/billing-runs', hub.keys.billing_ops, { period: '2026-10' });
  expect(run.statusCode, run.body).toBe(202);
  for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await send('GET', `/v1/billing-runs/${run.json().id}?customers=false`, hub.keys.finance)).json().status;
  }
  const invoices = await hub.ctx.db.selectFrom('invoices').select(['id', 'customer_id']).execute();
  mine.invoice = invoices.find((i) => i.customer_id === mine.customer)!.id;
  theirs.invoice = invoices.find((i) => i.customer_id === theirs.customer)!.id;

  Object.assign(keys, hub.keys, { portal: await hub.keyFor(['portal'], mine.customer) });
  const doc = (await send('GET', '/openapi.json', undefined)).json() as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
  components = doc.components.schemas;
  responses = {};
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => {
      const key = `${method.toUpperCase()} ${path}`;
      responses[key] = (ops[method] as { responses?: unknown }).responses;
      return { method: method.toUpperCase(), path, key };
    }),
  );
}, 180_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
});

/**
 * A URL for an operation. Reads use the portal customer's real records so its key gets
 * real answers to walk; writes get ids that exist nowhere, so no call here changes them.
 */
function urlFor(method: string, path: string, owner: { customer: string; invoice: string } = mine): string {
  const read = method === 'GET';
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (!read) return name === 'provider' ? 'partner-center' : name === 'v' ? '1' : randomUUID();
    if (name === 'id' && path.startsWith('/v1/customers/')) return owner.customer;
    if (name === 'id' && /^\/v1\/(portal\/)?invoices\//.test(path)) return owner.invoice;
    if (name === 'nodeId') return mine.node;
    if (name === 'ruleId') return mine.rule;
    if (name === 'v') return '1';
    return randomUUID();
  });
}

describe('the permission matrix', () => {
  it('lists every operation of the served API, and nothing the API does not serve', () => {
    const served = operations.map((o) => o.key).sort();
    expect(served.filter((k) => !(k in matrix.routes)), 'operations missing from the matrix').toEqual([]);
    expect(Object.keys(matrix.routes).filter((k) => !served.includes(k)), 'matrix routes the API does not serve').toEqual([]);
  });

  it('names only the roles the hub has, and lets a portal key see no field that reveals cost, markup or margin', () => {
    for (const [route, entry] of Object.entries(matrix.routes)) {
      if (entry === 'public') continue;
      for (const role of entry.roles) expect(matrix.roles, route).toContain(role);
      expect(entry.roles.includes('portal'), `${route}: portal role and portal grant go together`).toBe(entry.portal !== undefined);
      for (const field of entry.portal?.fields ?? []) expect(revealsCost(field.split(/[.[\]]+/).pop()!), `${route} lets a portal key see ${field}`).toBe(false);
    }
  });

  it('answers 401 without a key and 403 to every role the matrix does not list, and lets the listed roles past authorization', async () => {
    const failures: string[] = [];
    for (const op of operations) {
      const entry = matrix.routes[op.key]!;
      const url = urlFor(op.method, op.path);
      const payload = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      if (entry === 'public') {
        if ((await send(op.method, url, undefined, payload)).statusCode === 401) failures.push(`${op.key}: public, yet 401 without a key`);
        continue;
      }
      const anonymous = await send(op.method, url, undefined, payload);
      if (anonymous.statusCode !== 401) failures.push(`${op.key} without a key: ${anonymous.statusCode}`);
      for (const role of matrix.roles) {
        const status = (await send(op.method, url, keys[role], payload)).statusCode;
        if (!entry.roles.includes(role) && status !== 403) failures.push(`${op.key} as ${role}: ${status}, the matrix says 403`);
        if (entry.roles.includes(role) && (status === 401 || status === 403)) failures.push(`${op.key} as ${role}: ${status}, the matrix admits it`);
      }
    }
    expect(failures).toEqual([]);
  });

  it("shows a portal key its own customer's records, only the fields listed for it, and nobody else's records", async () => {
    const walked: string[] = [];
    for (const op of operations) {
      const entry = matrix.routes[op.key]!;
      if (entry === 'public' || !entry.portal) continue;
      const grant = entry.portal;
      const res = await send(op.method, urlFor(op.method, op.path), keys.portal);
      expect(res.statusCode, `${op.key} as its own portal key: ${res.body.slice(0, 300)}`).toBe(200);
      if (grant.body !== 'document') {
        const allowed = new Set(grant.fields);
        const maps = new Set(grant.fields.filter((f) => f.endsWith('.*')).map((f) => f.slice(0, -2)));
        const seen = fieldPaths(res.json(), maps);
        expect([...seen].filter((f) => !allowed.has(f)), `${op.key}: fields outside the portal's list`).toEqual([]);
        expect([...seen].filter((f) => revealsCost(f.split(/[.[\]]+/).pop()!)), `${op.key}: fields revealing cost`).toEqual([]);
        const declared = schemaPropertyNames((responses[op.key] as Record<string, unknown>)['200'], components);
        expect([...declared].filter(revealsCost), `${op.key}: its documented response names cost`).toEqual([]);
        walked.push(...seen);
      }
      // Another customer's records: refused (403) or not found (404), never shown. A 'self'
      // route answers about the calling key only: there is no other customer to ask for.
      if (grant.scope === 'self') continue;
      if (grant.scope !== 'list') {
        const other = await send(op.method, urlFor(op.method, op.path, theirs), keys.portal);
        expect([403, 404], `${op.key} for another customer`).toContain(other.statusCode);
      } else {
        const items = (res.json() as { items: { customerId: string }[] }).items;
        expect(items.length, `${op.key} lists the portal customer's records`).toBeGreaterThan(0);
        expect(new Set(items.map((i) => i.customerId)), op.key).toEqual(new Set([mine.customer]));
        expect((await send(op.method, `${op.path}?customerId=${theirs.customer}`, keys.portal)).statusCode).toBe(403);
      }
    }
    // The walk saw real invoices with lines, not empty answers.
    expect(walked).toEqual(expect.arrayContaining(['lines[].amount', 'items[].totals.total', 'subtotalsByCategory.*', 'items[].splits[].percent']));
  });

  it('knows the hazard it guards against: the staff invoice and the rate card carry cost and margin', async () => {
    // If these ever stop carrying them, the names in revealsCost need revisiting, not the matrix.
    const staff = (await send('GET', `/v1/invoices/${mine.invoice}`, keys.finance)).json();
    expect([...fieldPaths(staff, new Set(['subtotalsByCategory']))].filter((f) => revealsCost(f.split(/[.[\]]+/).pop()!))).toEqual(
      expect.arrayContaining(['cost', 'lines[].cost']),
    );
    const card = (await send('GET', `/v1/customers/${mine.customer}/rate-card?date=2026-10-15`, keys.finance)).json();
    expect(card).toHaveProperty('targetMarginPercent', '12');
  });

  it("gives a portal key nothing of another customer's on any route: its ids answer 403 or 404, lists carry none of its records", async () => {
    // Every operation of the served API, not only the ones the matrix grants to portal keys,
    // so a new route that forgets isolation fails here. The other customer's records are
    // recognised by every id and name they carry.
    const foreign = [theirs.customer, theirs.invoice, theirs.node, theirs.rule, theirs.card, TENANT.theirs, 'Other Client'];
    const failures: string[] = [];
    const walked = new Set<string>();
    for (const op of operations) {
      if (matrix.routes[op.key] === 'public') continue;
      const payload = op.method === 'GET' || op.method === 'DELETE' ? undefined : {};
      // A 'self' route answers about the calling key only: there is no other customer to ask it for.
      const entry = matrix.routes[op.key];
      const self = entry !== 'public' && entry?.portal?.scope === 'self';
      const urls = op.path.includes('{') ? [theirUrl(op.path)] : self ? [op.path] : [op.path, `${op.path}?customerId=${theirs.customer}`];
      for (const url of urls) {
        const res = await send(op.method, url, keys.portal, payload);
        walked.add(op.key);
        const refused = res.statusCode === 403 || res.statusCode === 404;
        // A record of theirs, or a list asked for theirs: refused. Their own list: only their records.
        if ((op.path.includes('{') || url !== op.path) && !refused) failures.push(`${op.method} ${url}: ${res.statusCode}, expected 403 or 404`);
        if (!refused) {
          const leaked = foreign.filter((f) => res.body.includes(f));
          if (leaked.length > 0) failures.push(`${op.method} ${url}: ${res.statusCode} showing the other customer's ${leaked.join(', ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(walked.size, 'every non-public operation walked').toBe(Object.values(matrix.routes).filter((e) => e !== 'public').length);
  });
});

/** An operation's URL with the other customer's ids wherever a path names a record. */
function theirUrl(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'provider') return 'partner-center';
    if (name === 'v') return '1';
    if (name === 'nodeId') return theirs.node;
    if (name === 'ruleId') return theirs.rule;
    if (name === 'id' && path.startsWith('/v1/customers/')) return theirs.customer;
    if (name === 'id' && /^\/v1\/(portal\/)?invoices\//.test(path)) return theirs.invoice;
    if (name === 'id' && path.startsWith('/v1/rate-cards/')) return theirs.card;
    return randomUUID();
  });
}
