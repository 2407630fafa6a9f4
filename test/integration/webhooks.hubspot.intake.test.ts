import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTIVE_CONNECTIONS_MAX_AGE_MS, cachedActiveConnections } from '../../src/db/connection-secrets.ts';
import { InboxWriter } from '../../src/db/webhook-inbox-writer.ts';
import { hubspotSign, hubspotV3 } from '../helpers/hubspot-vendor.ts';
import { hubspotWebhookHub } from '../helpers/hubspot-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// What the intake's speed-ups must not change: a rotated app secret or a disabled
// connection stops being accepted with the change (the connections the signature is
// checked against are kept for a few seconds), and requests that share one commit are
// each answered with their own events, every event stored once and enqueued once.

const ex = hubspotV3.example;
const OLD_SECRET = ex.secret;
const NEW_SECRET = 'rotated-client-secret-0002';
let hub: TestHub;
let connectionId = '';
const now = Number(ex.timestamp) + 2_000;

beforeAll(async () => {
  ({ hub, connectionId } = await hubspotWebhookHub(() => now));
});
afterAll(() => hub.close());
beforeEach(async () => {
  await sql`truncate webhook_inbox`.execute(hub.ctx.db);
});

const event = (eventId: number) => ({
  eventId,
  subscriptionId: 2001,
  portalId: 62515,
  appId: 54321,
  occurredAt: 1767225600000 + eventId,
  subscriptionType: 'contact.propertyChange',
  attemptNumber: 0,
  objectId: 500 + eventId,
  propertyName: 'email',
  propertyValue: 'x@example.test',
  changeSource: 'CRM_UI',
});
const key = (eventId: number) => `62515:2001:${eventId}:${1767225600000 + eventId}`;

/** Delivers a batch signed with `secret` as HubSpot would. */
function deliver(secret: string, eventIds: number[], extraHeaders: Record<string, string> = {}) {
  const body = JSON.stringify(eventIds.map(event));
  const path = '/webhooks/hubspot';
  const timestamp = String(now - 1_000);
  return hub.app.inject({
    method: 'POST',
    url: path,
    payload: body,
    headers: { 'content-type': 'application/json', [hubspotV3.headers.signature]: hubspotSign(secret, 'POST', ex.publicBase + path, body, timestamp), [hubspotV3.headers.timestamp]: timestamp, ...extraHeaders },
  });
}
const patch = (payload: object) => hub.app.inject({ method: 'PATCH', url: `/v1/connections/${connectionId}`, headers: hub.auth(hub.keys.admin), payload });
const storedIds = async () => (await hub.ctx.db.selectFrom('webhook_inbox').select('event_id').orderBy('event_id').execute()).map((r) => r.event_id);

describe('HubSpot webhook intake', () => {
  it('refuses the old secret from the moment it is rotated, and every request once the connection is disabled', async () => {
    expect((await deliver(OLD_SECRET, [1])).statusCode).toBe(202);
    expect((await patch({ credentials: { clientSecret: NEW_SECRET } })).statusCode).toBe(200);

    const old = await deliver(OLD_SECRET, [2]);
    expect(old.statusCode).toBe(401);
    expect(old.json().detail).toBe('X-HubSpot-Signature-v3 does not match');
    expect((await deliver(NEW_SECRET, [3])).statusCode).toBe(202);

    expect((await patch({ status: 'disabled' })).statusCode).toBe(200);
    const disabled = await deliver(NEW_SECRET, [4]);
    expect(disabled.statusCode).toBe(401);
    expect(disabled.json().detail).toBe('no active HubSpot connection to check the signature against');
    expect(await storedIds()).toEqual([key(1), key(3)]);

    expect((await patch({ status: 'active', credentials: { clientSecret: OLD_SECRET } })).statusCode).toBe(200);
  });

  it('sees a change made outside this process (SQL, another API process) within the documented few seconds', async () => {
    const t0 = Date.now();
    expect((await cachedActiveConnections(hub.ctx, 'hubspot', t0)).map((c) => c.id)).toEqual([connectionId]);
    await hub.ctx.db.updateTable('connections').set({ status: 'disabled' }).where('id', '=', connectionId).execute();
    // Still held just before the bound, read again at it.
    expect(await cachedActiveConnections(hub.ctx, 'hubspot', t0 + ACTIVE_CONNECTIONS_MAX_AGE_MS - 1)).toHaveLength(1);
    expect(await cachedActiveConnections(hub.ctx, 'hubspot', t0 + ACTIVE_CONNECTIONS_MAX_AGE_MS)).toEqual([]);
    expect(ACTIVE_CONNECTIONS_MAX_AGE_MS).toBeLessThanOrEqual(5_000);
    await hub.ctx.db.updateTable('connections').set({ status: 'active' }).where('id', '=', connectionId).execute();
    expect(await cachedActiveConnections(hub.ctx, 'hubspot', t0 + 2 * ACTIVE_CONNECTIONS_MAX_AGE_MS)).toHaveLength(1);
  });

  it('answers concurrent requests that share a commit each with its own events, storing and enqueueing each event once', async () => {
    // Twelve requests at once; events 100–109 are each sent by two of them.
    const batches = Array.from({ length: 12 }, (_, i) => [200 + 2 * i, 201 + 2 * i, 100 + (i % 10)]);
    const answers = await Promise.all(batches.map((ids) => deliver(OLD_SECRET, ids)));
    for (const [i, res] of answers.entries()) {
      expect(res.statusCode, res.body).toBe(202);
      expect(res.json().events.map((e: { eventId: string }) => e.eventId)).toEqual(batches[i]!.map(key));
    }
    const all = answers.flatMap((res) => res.json().events as { id: string; eventId: string; duplicate: boolean }[]);
    // Of the two deliveries of 100 and of 101, one stored it and one was told it is a duplicate; every other event is new.
    for (const shared of [100, 101]) {
      const copies = all.filter((e) => e.eventId === key(shared));
      expect(copies.map((e) => e.duplicate).sort()).toEqual([false, true]);
      expect(new Set(copies.map((e) => e.id)).size).toBe(1);
    }
    expect(all.filter((e) => !e.duplicate)).toHaveLength(24 + 10);
    expect(await storedIds()).toHaveLength(34);
    const { rows } = await sql<{ n: number; distinct: number }>`
      select count(*)::int as n, count(distinct j.payload->>'inboxId')::int as distinct
      from graphile_worker._private_jobs j join webhook_inbox w on w.id::text = j.payload->>'inboxId'`.execute(hub.ctx.db);
    expect(rows[0]).toEqual({ n: 34, distinct: 34 });
  });

  it('fails only the request whose events cannot be stored when it shared a write with others', async () => {
    // One write in flight: the first request takes it, the four after it wait and share the next.
    const writer = new InboxWriter(hub.ctx.db, { maxInFlight: 1 });
    const write = (eventId: number, headers: Record<string, string> = {}) =>
      writer.store('hubspot', headers, [{ eventId: key(eventId), body: JSON.stringify(event(eventId)) }]).then(
        (stored) => stored.map((e) => e.duplicate),
        (error: Error) => error.message,
      );
    // PostgreSQL's jsonb refuses the NUL character, so the stored headers of 300 cannot be written.
    const results = await Promise.all([write(310), write(301), write(300, { 'x-note': 'a\u0000b' }), write(302), write(301)]);
    expect(results).toEqual([[false], [false], expect.stringContaining('unsupported Unicode escape sequence'), [false], [true]]);
    expect(await storedIds()).toEqual([301, 302, 310].map(key));
  });
});
