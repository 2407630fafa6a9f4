import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

describe('Idempotency-Key', () => {
  it('replays the first answer to a retry and creates one record', async () => {
    const send = (payload: object) =>
      hub.app.inject({ method: 'POST', url: '/v1/customers', payload, headers: { ...hub.auth(hub.keys.admin), 'idempotency-key': 'create-contoso-1' } });
    const first = await send({ name: 'Contoso' });
    const retry = await send({ name: 'Contoso' });
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(first.json().id);
    const rows = await hub.ctx.db.selectFrom('customers').select('id').where('name', '=', 'Contoso').execute();
    expect(rows).toHaveLength(1);

    const reused = await send({ name: 'Not Contoso' });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().field).toBe('Idempotency-Key');
  });

  it('keeps keys apart per API key, and does not replay a failed validation as success', async () => {
    const other = await hub.keyFor(['admin']);
    const a = await hub.app.inject({ method: 'POST', url: '/v1/customers', payload: { name: 'Shared key A' }, headers: { ...hub.auth(hub.keys.admin), 'idempotency-key': 'k' } });
    const b = await hub.app.inject({ method: 'POST', url: '/v1/customers', payload: { name: 'Shared key A' }, headers: { ...hub.auth(other), 'idempotency-key': 'k' } });
    expect(b.json().id).not.toBe(a.json().id);
    const bad = await hub.app.inject({ method: 'POST', url: '/v1/customers', payload: {}, headers: { ...hub.auth(hub.keys.admin), 'idempotency-key': 'bad-1' } });
    expect(bad.statusCode).toBe(400);
  });
});
