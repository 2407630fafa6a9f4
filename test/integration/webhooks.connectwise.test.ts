import { runOnce } from 'graphile-worker';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectwiseCallbackProvider } from '../../src/connectors/connectwise/callback.ts';
import { handleConnectWiseCallback } from '../../src/jobs/connectwise/callbacks.ts';
import { processWebhook } from '../../src/jobs/tasks/webhook-process.ts';
import { startConnectWiseSandbox, type ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { connectConnectWise } from '../helpers/connectwise.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let sandbox: ConnectWiseSandbox;
let connectionId = '';

beforeAll(async () => {
  hub = await createTestHub({ webhookProviders: [connectwiseCallbackProvider({ handle: handleConnectWiseCallback })] });
  sandbox = await startConnectWiseSandbox({ timeEntries: 0 });
  connectionId = await connectConnectWise(hub, sandbox);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

// The shape of ConnectWise's callback body (see test/fixtures/vendor/connectwise.json); Entity is a JSON string.
const callback = (messageId: string, type = 'time', id = 10001) => ({
  MessageId: messageId,
  FromUrl: 'sandbox-na.myconnectwise.net',
  CompanyId: 'sandboxmsp',
  MemberId: 'apiuser',
  Action: 'updated',
  Type: type,
  ID: id,
  Entity: JSON.stringify({ id, actualHours: 999 }),
});
const deliver = (body: unknown, query = `?connectionId=${connectionId}&recordId=10001`) =>
  hub.app.inject({ method: 'POST', url: `/webhooks/connectwise${query}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const processInbox = () => runOnce({ pgPool: hub.database.pool, taskList: { 'webhook:process': async (p) => processWebhook(p as { inboxId: string }, hub.ctx) } });
const timeSyncJobs = async () =>
  (await sql<{ run_at: Date }>`select run_at from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'connectwise:time_sync'`.execute(hub.ctx.db)).rows;

describe('ConnectWise callbacks', () => {
  it('stores a callback once per MessageId and starts one early time sync for a burst of them', async () => {
    const first = await deliver(callback('m-1'));
    expect(first.statusCode, first.body).toBe(202);
    expect((await deliver(callback('m-1'))).json().duplicate).toBe(true);
    expect((await deliver(callback('m-2', 'time', 10002))).statusCode).toBe(202);
    await processInbox();
    // Two distinct callbacks within the minute: one sync job, due now.
    const jobs = await timeSyncJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.run_at.getTime()).toBeLessThanOrEqual(Date.now());
    // The callback's own Entity (actualHours 999) is never read: no labour line was written from it.
    expect(await hub.ctx.db.selectFrom('labour_lines').select('id').execute()).toEqual([]);
  });

  it('refuses a callback without the connection in its URL, or for a connection that is not an active ConnectWise one', async () => {
    const missing = await deliver(callback('m-3'), '?recordId=1');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().detail).toMatch(/connectionId/);
    const unknown = await deliver(callback('m-4'), '?connectionId=00000000-0000-4000-8000-000000000000');
    expect(unknown.statusCode).toBe(401);
  });
});

describe('ConnectWise callback signatures (x-content-signature)', () => {
  const post = (delivery: { body: string; headers: Record<string, string> }, query = `?connectionId=${connectionId}&recordId=10001`) =>
    hub.app.inject({ method: 'POST', url: `/webhooks/connectwise${query}`, headers: delivery.headers, payload: delivery.body });
  const stored = async (body: string) =>
    (await hub.ctx.db.selectFrom('webhook_inbox').select('id').where('event_id', '=', `${connectionId}:${JSON.parse(body).MessageId}`).execute()).length;

  it('stores a callback the sandbox signed with the site key read from Metadata.key_url', async () => {
    const delivery = sandbox.callback({ type: 'time', id: 10001 });
    const res = await post(delivery);
    expect(res.statusCode, res.body).toBe(202);
    expect(await stored(delivery.body)).toBe(1);
  });

  it('refuses a wrongly signed callback with 401 before anything is stored', async () => {
    const delivery = sandbox.callback({ type: 'time', id: 10001, signature: 'wrong' });
    const res = await post(delivery);
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/x-content-signature does not match/);
    expect(await stored(delivery.body)).toBe(0);
  });

  it('refuses a body altered after signing, and a key URL on another host than the connection site', async () => {
    const signed = sandbox.callback({ type: 'time', id: 10001 });
    const altered = { ...signed, body: signed.body.replace('"ID":10001', '"ID":10002') };
    expect((await post(altered)).statusCode).toBe(401);
    const body = JSON.parse(signed.body);
    body.Metadata.key_url = 'https://attacker.example/key';
    const elsewhere = await post({ headers: signed.headers, body: JSON.stringify(body) });
    expect(elsewhere.statusCode).toBe(401);
    expect(elsewhere.json().detail).toMatch(/not on the connection's site/);
  });

  it('takes an unsigned callback (on-premises) unless the connection requires signatures', async () => {
    const unsigned = sandbox.callback({ type: 'time', id: 10001, signature: 'none' });
    expect((await post(unsigned)).statusCode).toBe(202);
    await hub.ctx.db.updateTable('connections').set({ settings: JSON.stringify({ site: sandbox.url, requestsPerMinute: 60_000, requireCallbackSignature: true }) }).where('id', '=', connectionId).execute();
    const again = sandbox.callback({ type: 'time', id: 10001, signature: 'none' });
    const res = await post(again);
    expect(res.statusCode).toBe(401);
    expect(await stored(again.body)).toBe(0);
    expect((await post(sandbox.callback({ type: 'time', id: 10001 }))).statusCode).toBe(202);
  });
});
