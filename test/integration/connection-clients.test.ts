import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionSecrets, updateConnectionSecret } from '../../src/db/connection-secrets.ts';
import { ConnectionClients, limiterOf, type OpenedConnection } from '../../src/jobs/connection-clients.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A job asks for its connection's client every time; the client (and the credentials
// opened for it) is made again only when the connection changed, not when the client
// itself stored a rotated refresh token.

let hub: TestHub;
let connectionId: string;

beforeAll(async () => {
  hub = await createTestHub();
  const created = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'quickbooks', name: 'Books', credentials: { clientId: 'id-1', clientSecret: 'secret-1', refreshToken: 'rt-1' }, settings: { realmId: '4620816365' } },
  });
  expect(created.statusCode, created.body).toBe(201);
  connectionId = created.json().id;
}, 60_000);

afterAll(async () => {
  await hub?.close();
});

describe('connection clients', () => {
  it('builds one client per connection, again only when its settings or credentials change from outside', async () => {
    const built: OpenedConnection[] = [];
    const clients = new ConnectionClients('quickbooks', (connection) => {
      built.push(connection);
      return { n: built.length };
    });
    const first = await clients.get(hub.ctx, connectionId);
    expect(await clients.get(hub.ctx, connectionId)).toBe(first);
    expect(built).toHaveLength(1);
    expect(built[0]!.credentials).toEqual({ clientId: 'id-1', clientSecret: 'secret-1', refreshToken: 'rt-1' });

    // The client's own rotation is stored and does not make a second client.
    await built[0]!.storeRotated({ refreshToken: 'rt-2' });
    expect((await loadConnectionSecrets(hub.ctx, connectionId)).credentials.refreshToken).toBe('rt-2');
    expect(await clients.get(hub.ctx, connectionId)).toBe(first);
    expect(built).toHaveLength(1);

    // Someone else's change of the credentials (an admin's new client secret) does.
    await updateConnectionSecret(hub.ctx, connectionId, { clientSecret: 'secret-2' });
    const second = await clients.get(hub.ctx, connectionId);
    expect(second).not.toBe(first);
    expect(built[1]!.credentials).toEqual({ clientId: 'id-1', clientSecret: 'secret-2', refreshToken: 'rt-2' });

    // So does a change of its settings.
    await hub.ctx.db.updateTable('connections').set({ settings: JSON.stringify({ realmId: '9130350000000000' }) }).where('id', '=', connectionId).execute();
    const third = await clients.get(hub.ctx, connectionId);
    expect(third).not.toBe(second);
    expect(built[2]!.settings.realmId).toBe('9130350000000000');
    expect(built).toHaveLength(3);
  });

  it('refuses a connection of another provider', async () => {
    const clients = new ConnectionClients('xero', () => ({}));
    await expect(clients.get(hub.ctx, connectionId)).rejects.toThrow(`connection ${connectionId} is a quickbooks connection, not xero`);
  });

  it('keeps one limiter per budget across clients, a new one for new limits', () => {
    const a = limiterOf('quickbooks:test-realm', { requestsPerMinute: 500, maxConcurrent: 10 });
    expect(limiterOf('quickbooks:test-realm', { requestsPerMinute: 500, maxConcurrent: 10 })).toBe(a);
    expect(limiterOf('quickbooks:test-realm', { requestsPerMinute: 250, maxConcurrent: 10 })).not.toBe(a);
    expect(limiterOf('quickbooks:other-realm', { requestsPerMinute: 500, maxConcurrent: 10 })).not.toBe(a);
  });
});
