import { createHmac } from 'node:crypto';
import { runOnce } from 'graphile-worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookProvider } from '../../src/context.ts';
import { bodyDigest, headerValue, hmacSha256Matches, refuse, singleEvent } from '../../src/connectors/webhooks.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

const SECRET = 'whsec-test';
const handled: string[] = [];
// A provider shaped like the vendors' (HMAC over the raw body, event id in a header).
const acme: WebhookProvider = {
  name: 'acme',
  accept: (req) =>
    hmacSha256Matches(SECRET, req.rawBody, headerValue(req.headers, 'x-acme-signature'), 'hex')
      ? singleEvent(req, headerValue(req.headers, 'x-acme-event-id') ?? bodyDigest(req.rawBody))
      : refuse(401, 'the acme signature does not match'),
  handle: async (event) => {
    handled.push(event.eventId);
  },
};
const silent: WebhookProvider = { name: 'silent', accept: (req) => singleEvent(req, bodyDigest(req.rawBody)) };

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ webhookProviders: [acme, silent] });
});
afterAll(() => hub.close());

function sign(body: string) {
  return createHmac('sha256', SECRET).update(body).digest('hex');
}

const deliver = (body: string, headers: Record<string, string>, provider = 'acme') =>
  hub.app.inject({ method: 'POST', url: `/webhooks/${provider}`, payload: body, headers: { 'content-type': 'application/json', ...headers } });

async function jobsFor(inboxId: string) {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs where payload->>'inboxId' = ${inboxId}`.execute(hub.ctx.db);
  return rows[0]!.n;
}

describe('webhook inbox', () => {
  it('answers 404 for an unknown provider', async () => {
    const res = await deliver('{}', {}, 'nobody');
    expect(res.statusCode).toBe(404);
    expect(res.json().type).toBe('/problems/not-found');
  });

  it('answers 401 and stores nothing when the signature fails', async () => {
    const body = '{"event":"deal.won","id":1}';
    const res = await deliver(body, { 'x-acme-signature': sign(body + ' '), 'x-acme-event-id': 'evt-bad' });
    expect(res.statusCode).toBe(401);
    const stored = await hub.ctx.db.selectFrom('webhook_inbox').select('id').where('event_id', '=', 'evt-bad').execute();
    expect(stored).toEqual([]);
  });

  it('stores the raw body and headers, enqueues a job in the same transaction, and de-duplicates by event id', async () => {
    // Whitespace and key order preserved: the body is stored exactly as signed.
    const body = '{ "id": 7,  "event": "deal.won" }';
    const res = await deliver(body, { 'x-acme-signature': sign(body), 'x-acme-event-id': 'evt-1' });
    expect(res.statusCode).toBe(202);
    const { id, duplicate } = res.json();
    expect(duplicate).toBe(false);
    const row = await hub.ctx.db.selectFrom('webhook_inbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.body).toBe(body);
    expect(row.status).toBe('received');
    expect((row.headers as Record<string, string>)['x-acme-signature']).toBe(sign(body));
    expect(await jobsFor(id)).toBe(1);

    const again = await deliver(body, { 'x-acme-signature': sign(body), 'x-acme-event-id': 'evt-1' });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ id, duplicate: true, events: [{ id, eventId: 'evt-1', duplicate: true }] });
    expect(await jobsFor(id)).toBe(1);
    expect(await hub.ctx.db.selectFrom('webhook_inbox').select('id').where('event_id', '=', 'evt-1').execute()).toHaveLength(1);
  });

  it('processes stored events in a job: handled once, or ignored without a handler', async () => {
    const body = '{"id":8}';
    const res = await deliver(body, { 'x-acme-signature': sign(body), 'x-acme-event-id': 'evt-2' });
    const quiet = await deliver('{"hello":1}', {}, 'silent');
    await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
    expect(handled).toContain('evt-2');
    const processed = await hub.ctx.db.selectFrom('webhook_inbox').select(['status', 'attempts']).where('id', '=', res.json().id).executeTakeFirstOrThrow();
    expect(processed).toEqual({ status: 'processed', attempts: 1 });
    const ignored = await hub.ctx.db.selectFrom('webhook_inbox').select('status').where('id', '=', quiet.json().id).executeTakeFirstOrThrow();
    expect(ignored.status).toBe('ignored');
    // Running the job again changes nothing: the task is idempotent.
    const { processWebhook } = await import('../../src/jobs/tasks/webhook-process.ts');
    await processWebhook({ inboxId: res.json().id }, hub.ctx);
    expect(handled.filter((e) => e === 'evt-2')).toHaveLength(1);
  });
});
