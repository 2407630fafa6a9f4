import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubspotSign, hubspotV3 } from '../helpers/hubspot-vendor.ts';
import { hubspotWebhookHub } from '../helpers/hubspot-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

const ex = hubspotV3.example;
let hub: TestHub;
let now = Number(ex.timestamp) + 2_000;

beforeAll(async () => {
  ({ hub } = await hubspotWebhookHub(() => now));
});
afterAll(() => hub.close());
beforeEach(async () => {
  now = Number(ex.timestamp) + 2_000;
  await sql`truncate webhook_inbox`.execute(hub.ctx.db);
});

const deliver = (pathAndQuery: string, body: string, signature: string, timestamp: string, extra: Record<string, string> = {}) =>
  hub.app.inject({
    method: 'POST',
    url: pathAndQuery,
    payload: body,
    headers: { 'content-type': 'application/json', [hubspotV3.headers.signature]: signature, [hubspotV3.headers.timestamp]: timestamp, ...extra },
  });

const stored = async () => (await hub.ctx.db.selectFrom('webhook_inbox').select(['event_id', 'body']).where('provider', '=', 'hubspot').orderBy('event_id').execute());

/** A batch as HubSpot sends it, signed with the connection's secret over a URI that needs no decoding. */
function batch(events: Record<string, unknown>[], timestamp = String(now - 1_000)) {
  const body = JSON.stringify(events);
  const path = '/webhooks/hubspot';
  return { path, body, timestamp, signature: hubspotSign(ex.secret, 'POST', ex.publicBase + path, body, timestamp) };
}
const event = (eventId: number, objectId: number, extra: Record<string, unknown> = {}) => ({
  eventId,
  subscriptionId: 2001,
  portalId: 62515,
  appId: 54321,
  occurredAt: 1767225600000 + eventId,
  subscriptionType: 'deal.propertyChange',
  attemptNumber: 0,
  objectId,
  propertyName: 'dealstage',
  propertyValue: 'closedwon',
  changeSource: 'CRM_UI',
  ...extra,
});

describe('POST /webhooks/hubspot', () => {
  it("accepts HubSpot's worked example and stores its event under portal, subscription, event id and time", async () => {
    const res = await deliver(ex.pathAndQuery, ex.body, ex.signature, ex.timestamp);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().events).toEqual([{ id: expect.any(String), eventId: '62515:2001:100:1767225600000', duplicate: false }]);
    const rows = await stored();
    expect(rows.map((r) => r.event_id)).toEqual(['62515:2001:100:1767225600000']);
    expect(JSON.parse(rows[0]!.body)).toEqual(JSON.parse(ex.body)[0]);
  });

  it('refuses one byte changed in the body, the URI or the timestamp, and stores nothing', async () => {
    const body = ex.body.replace('"objectId":9001', '"objectId":9002');
    for (const [path, payload, timestamp, what] of [
      [ex.pathAndQuery, body, ex.timestamp, 'body'],
      [ex.pathAndQuery.replace('prod', 'prot'), ex.body, ex.timestamp, 'uri'],
      [ex.pathAndQuery, ex.body, String(Number(ex.timestamp) + 1), 'timestamp'],
    ] as const) {
      const res = await deliver(path, payload, ex.signature, timestamp);
      expect(res.statusCode, what).toBe(401);
      expect(res.json().detail, what).toBe('X-HubSpot-Signature-v3 does not match');
    }
    expect(await stored()).toEqual([]);
  });

  it('refuses the signature computed over the undecoded URI', async () => {
    const res = await deliver(ex.pathAndQuery, ex.body, ex.signatureOverUndecodedUri, ex.timestamp);
    expect(res.statusCode).toBe(401);
    expect(await stored()).toEqual([]);
  });

  it('refuses a correctly signed request whose timestamp is more than 5 minutes old (a replay)', async () => {
    now = Number(ex.timestamp) + 5 * 60_000 + 1;
    const res = await deliver(ex.pathAndQuery, ex.body, ex.signature, ex.timestamp);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('refused as a possible replay');
    expect(await stored()).toEqual([]);
  });

  it('stores each event of a batch once, however often the batch or an event is redelivered', async () => {
    const first = batch([event(1, 501), event(2, 502), event(3, 503)]);
    for (let i = 0; i < 3; i++) {
      const res = await deliver(first.path, first.body, first.signature, first.timestamp);
      expect(res.statusCode).toBe(202);
      expect(res.json().duplicate).toBe(i > 0);
    }
    // The same event again in another batch, with a new attempt number: still the same event.
    const retried = batch([event(3, 503, { attemptNumber: 1 }), event(4, 504)]);
    const res = await deliver(retried.path, retried.body, retried.signature, retried.timestamp);
    expect(res.json().events.map((e: { duplicate: boolean }) => e.duplicate)).toEqual([true, false]);
    expect((await stored()).map((r) => r.event_id)).toEqual(['62515:2001:1:1767225600001', '62515:2001:2:1767225600002', '62515:2001:3:1767225600003', '62515:2001:4:1767225600004']);
    // One processing job per stored event, none for the redeliveries.
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from graphile_worker._private_jobs j join webhook_inbox w on w.id::text = j.payload->>'inboxId'
      where w.provider = 'hubspot'`.execute(hub.ctx.db);
    expect(rows[0]!.n).toBe(4);
  });

  it('stores an event that appears twice in one batch once', async () => {
    const twice = batch([event(11, 1101), event(11, 1101)]);
    const res = await deliver(twice.path, twice.body, twice.signature, twice.timestamp);
    expect(res.json().events.map((e: { duplicate: boolean }) => e.duplicate)).toEqual([false, true]);
    expect(await stored()).toHaveLength(1);
  });

  it('keeps two events that share an eventId but not the time (HubSpot does not promise eventId is unique)', async () => {
    const twins = batch([event(7, 701), { ...event(7, 702), occurredAt: 1767225699999 }]);
    expect((await deliver(twins.path, twins.body, twins.signature, twins.timestamp)).statusCode).toBe(202);
    expect(await stored()).toHaveLength(2);
  });

  it('answers 400 for a signed but malformed body, and 401 for a portal not connected, storing nothing', async () => {
    const notArray = batch([]);
    const flat = { ...notArray, body: '{"eventId":1}' };
    flat.signature = hubspotSign(ex.secret, 'POST', ex.publicBase + flat.path, flat.body, flat.timestamp);
    const res = await deliver(flat.path, flat.body, flat.signature, flat.timestamp);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toBe('body must be a JSON array of events');
    const noId = batch([{ ...event(8, 801), eventId: 'x' }]);
    expect((await deliver(noId.path, noId.body, noId.signature, noId.timestamp)).json().detail).toBe('body[0].eventId must be an integer');
    const foreign = batch([{ ...event(9, 901), portalId: 999 }]);
    const refused = await deliver(foreign.path, foreign.body, foreign.signature, foreign.timestamp);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().detail).toBe('HubSpot account 999 is not connected with this app secret');
    expect(await stored()).toEqual([]);
  });

  it("without HUB_PUBLIC_URL, checks the URI against the request's own scheme and Host header", async () => {
    const saved = hub.ctx.config.publicUrl;
    hub.ctx.config.publicUrl = null;
    try {
      const body = JSON.stringify([event(10, 1001)]);
      const timestamp = String(now - 1_000);
      const signature = hubspotSign(ex.secret, 'POST', 'http://billing.internal:8080/webhooks/hubspot?x=1', body, timestamp);
      const res = await deliver('/webhooks/hubspot?x=1', body, signature, timestamp, { host: 'billing.internal:8080' });
      expect(res.statusCode, res.body).toBe(202);
    } finally {
      hub.ctx.config.publicUrl = saved;
    }
  });
});
