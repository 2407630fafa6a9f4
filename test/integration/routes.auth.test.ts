import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/security/api-keys.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Walks every registered route: no key → 401, a key without the route's role → 403,
// the right key → neither. A new route without an auth declaration fails at startup.
let hub: TestHub;
let customerId: string;
let otherCustomerId: string;

beforeAll(async () => {
  hub = await createTestHub();
  const make = async (name: string) =>
    (await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(hub.keys.admin), payload: { name } })).json().id as string;
  customerId = await make('Walk A');
  otherCustomerId = await make('Walk B');
});
afterAll(() => hub.close());

function urlFor(template: string, customer: string): string {
  return template.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'id' || name === 'customerId' ? customer : '00000000-0000-4000-8000-000000000000'));
}

describe('every route', () => {
  it('declares auth, and the walk covers the API', () => {
    const guarded = hub.app.routeAuth.filter((r) => r.auth !== 'public');
    expect(guarded.length).toBeGreaterThan(10);
    expect(hub.app.routeAuth.filter((r) => r.auth === 'public').map((r) => r.url)).toEqual(
      expect.arrayContaining(['/health', '/ready', '/openapi.json', '/webhooks/:provider']),
    );
  });

  it('answers 401 without a key, 403 with a key lacking the role, and lets the right role through', async () => {
    const staffKeys: Record<Exclude<Role, 'portal'>, string> = hub.keys;
    const portalKey = await hub.keyFor(['portal'], customerId);
    for (const route of hub.app.routeAuth) {
      if (route.auth === 'public') continue;
      const url = urlFor(route.url, customerId);
      const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      const call = (headers: Record<string, string>) => hub.app.inject({ method: route.method as 'GET', url, headers, payload });
      const label = `${route.method} ${route.url}`;

      const anonymous = await call({});
      expect(anonymous.statusCode, `${label} without a key`).toBe(401);
      expect(anonymous.headers['content-type'], label).toContain('application/problem+json');
      expect((await call({ authorization: 'Bearer hub_000000000000_notarealkeynotarealkey' })).statusCode, `${label} unknown key`).toBe(401);

      for (const role of ROLES) {
        const key = role === 'portal' ? portalKey : staffKeys[role];
        const status = (await call(hub.auth(key))).statusCode;
        const allowed = route.auth.roles.includes(role) && (role !== 'portal' || route.auth.customerParam !== undefined || route.auth.customerScope === 'record');
        if (allowed) expect([401, 403], `${label} as ${role}`).not.toContain(status);
        else expect(status, `${label} as ${role}`).toBe(403);
      }
      if (route.auth.roles.includes('portal') && route.auth.customerParam) {
        const other = await hub.app.inject({ method: route.method as 'GET', url: urlFor(route.url, otherCustomerId), headers: hub.auth(portalKey), payload });
        expect(other.statusCode, `${label} as portal of another customer`).toBe(403);
      }
    }
  });

  it('refuses a revoked key', async () => {
    const { revokeApiKey } = await import('../../src/db/api-keys.ts');
    const { createApiKey } = await import('../../src/db/api-keys.ts');
    const made = await createApiKey(hub.ctx.db, { name: 'to revoke', roles: ['admin'], customerId: null }, { actor: 'system:test' });
    await revokeApiKey(hub.ctx.db, made.id, { actor: 'system:test' });
    const res = await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: hub.auth(made.key) });
    expect(res.statusCode).toBe(401);
  });

  it('stores keys hashed, never in plain text', async () => {
    const rows = await hub.ctx.db.selectFrom('api_keys').select(['prefix', 'hash']).execute();
    for (const row of rows) {
      expect(row.hash).toMatch(/^sha256\$/);
      for (const key of Object.values(hub.keys)) expect(row.hash).not.toContain(key.split('_').slice(2).join('_'));
    }
  });

  it('lets a key stored as scrypt in, and stores it again as SHA-256 on that first use', async () => {
    const { randomBytes } = await import('node:crypto');
    const { legacyScryptHash } = await import('../helpers/legacy-api-key.ts');
    const prefix = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const legacy = legacyScryptHash(secret);
    const { id } = await hub.ctx.db.insertInto('api_keys').values({ name: 'legacy', prefix, hash: legacy, roles: ['admin'], customer_id: null }).returning('id').executeTakeFirstOrThrow();
    const key = `hub_${prefix}_${secret}`;
    expect((await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: hub.auth(key) })).statusCode).toBe(200);
    // The rewrite is not awaited by the request: wait for it.
    let stored = legacy;
    for (let i = 0; i < 100 && stored === legacy; i++) {
      await new Promise((r) => setTimeout(r, 20));
      stored = (await hub.ctx.db.selectFrom('api_keys').select('hash').where('id', '=', id).executeTakeFirstOrThrow()).hash;
    }
    expect(stored).toMatch(/^sha256\$/);
    const { hashSecret } = await import('../../src/security/api-keys.ts');
    expect(stored).toBe(hashSecret(secret));
    // A wrong secret with the same prefix is still refused, under either hash.
    expect((await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: hub.auth(`hub_${prefix}_${secret}x`) })).statusCode).toBe(401);
  });
});
