import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionSecrets } from '../../src/db/connection-secrets.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const credentials = { tenantId: 'tenant-1', clientId: 'app-1', clientSecret: 's3cr3t-value', refreshToken: 'rt-very-secret' };

describe('connections', () => {
  it('encrypts credentials at rest and never returns them', async () => {
    const res = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'partner-center', name: 'Main partner', credentials, settings: { currency: 'USD' } },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.credentialFields).toEqual(['clientId', 'clientSecret', 'refreshToken', 'tenantId']);
    expect(res.body).not.toContain('s3cr3t-value');
    expect(res.body).not.toContain('rt-very-secret');

    const row = await hub.ctx.db.selectFrom('connections').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row.credentials_encrypted).toMatch(/^v1:/);
    expect(row.credentials_encrypted).not.toContain('s3cr3t');
    expect((await loadConnectionSecrets(hub.ctx, body.id)).credentials).toEqual(credentials);

    for (const url of ['/v1/connections', `/v1/connections/${body.id}`, `/v1/audit?entity=connection`]) {
      const text = (await hub.app.inject({ method: 'GET', url, headers: hub.auth(hub.keys.admin) })).body;
      expect(text, url).not.toContain('s3cr3t-value');
      expect(text, url).not.toContain('rt-very-secret');
    }
  });

  it('binds the ciphertext to its row: a copied secret does not open elsewhere', async () => {
    const a = (await hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload: { provider: 'partner-center', name: 'A', credentials } })).json();
    const b = (await hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload: { provider: 'partner-center', name: 'B', credentials } })).json();
    const rowA = await hub.ctx.db.selectFrom('connections').select('credentials_encrypted').where('id', '=', a.id).executeTakeFirstOrThrow();
    await hub.ctx.db.updateTable('connections').set({ credentials_encrypted: rowA.credentials_encrypted }).where('id', '=', b.id).execute();
    await expect(loadConnectionSecrets(hub.ctx, b.id)).rejects.toThrow();
  });

  it('validates credentials against the provider declaration, naming the field', async () => {
    const missing = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'partner-center', name: 'Bad', credentials: { tenantId: 't', clientId: 'c' } },
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().field).toBe('credentials.clientSecret');
    const unknown = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'partner-center', name: 'Bad', credentials: { ...credentials, password: 'x' } },
    });
    expect(unknown.json().field).toBe('credentials.password');
    const provider = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'dropbox', name: 'Bad', credentials },
    });
    expect(provider.statusCode).toBe(400);
    expect(provider.json().field).toBe('provider');
  });

  it('rotates one credential and keeps the others', async () => {
    const c = (await hub.app.inject({ method: 'POST', url: '/v1/connections', headers: hub.auth(hub.keys.admin), payload: { provider: 'partner-center', name: 'Rotate', credentials } })).json();
    const res = await hub.app.inject({ method: 'PATCH', url: `/v1/connections/${c.id}`, headers: hub.auth(hub.keys.admin), payload: { credentials: { clientSecret: 'new-secret' } } });
    expect(res.statusCode).toBe(200);
    expect((await loadConnectionSecrets(hub.ctx, c.id)).credentials).toEqual({ ...credentials, clientSecret: 'new-secret' });
    const audit = await hub.ctx.db.selectFrom('audit_log').select('action').where('entity_id', '=', c.id).orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['connection.create', 'connection.rotate_credentials']);
  });
});
