import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// How keys are checked and stored. Who may call which route is permissions.matrix.test.ts's.
let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

describe('API keys', () => {
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
