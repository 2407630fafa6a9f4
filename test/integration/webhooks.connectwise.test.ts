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
