import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xeroWebhookProvider } from '../../src/connectors/xero/webhook.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Xero signs the raw body: x-xero-signature = base64(HMAC-SHA256(body, webhook key)). On
// subscribing it sends signed payloads with no events ("intent to receive") and expects 200
// with an empty body for a correct signature and 401 for a wrong one.

const KEY = 'xero-webhook-key-for-tests';
let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ webhookProviders: [xeroWebhookProvider()] });
  const created = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'xero', name: 'Xero', credentials: { clientId: 'c', clientSecret: 's', refreshToken: 'r', webhookKey: KEY }, settings: { tenantId: 't' } },
  });
  expect(created.statusCode, created.body).toBe(201);
});
afterAll(() => hub.close());

const sign = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('base64');
const deliver = (body: string, signature: string) =>
  hub.app.inject({ method: 'POST', url: '/webhooks/xero', payload: body, headers: { 'content-type': 'application/json', 'x-xero-signature': signature } });

describe('Xero webhooks', () => {
  it("answers Xero's intent-to-receive: 200 and no body when signed right, 401 when not", async () => {
    const body = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: 'YSXCMKAQBJOEMLEGWIGA' });
    const good = await deliver(body, sign(body));
    expect(good.statusCode).toBe(200);
    expect(good.body).toBe('');
    expect((await deliver(body, sign(body, 'another-key'))).statusCode).toBe(401);
    expect((await deliver(body, '')).statusCode).toBe(401);
    const count = await hub.ctx.db.selectFrom('webhook_inbox').select((eb) => eb.fn.countAll<string>().as('n')).where('provider', '=', 'xero').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('stores each event of a signed delivery once, answering 200 with no body', async () => {
    const event = {
      resourceUrl: 'https://api.xero.com/api.xro/2.0/Invoices/8a8d8c1e-0000-4000-8000-000000000001',
      resourceId: '8a8d8c1e-0000-4000-8000-000000000001',
      eventDateUtc: '2026-11-03T01:15:39.902',
      eventType: 'UPDATE',
      eventCategory: 'INVOICE',
      tenantId: 't',
      tenantType: 'ORGANISATION',
    };
    const body = JSON.stringify({ events: [event], firstEventSequence: 1, lastEventSequence: 1, entropy: 'S0m3r4Nd0mt3xt' });
    for (let i = 0; i < 2; i++) {
      const res = await deliver(body, sign(body));
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe('');
    }
    const stored = await hub.ctx.db.selectFrom('webhook_inbox').select(['event_id']).where('provider', '=', 'xero').execute();
    expect(stored.map((s) => s.event_id)).toEqual([`t:INVOICE:${event.resourceId}:UPDATE:${event.eventDateUtc}`]);
  });
});
