import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { connectSandbox, startSmallSandbox, usageFingerprint, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Microsoft expires an export operation's links (410 Gone, "submit a new request"). A
// sync whose export expired while it waited asks for a new one and ends with exactly the
// lines of a sync that never waited.

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function sync(sandbox: PartnerCenterSandbox, whileRunning?: (hub: TestHub) => Promise<void>) {
  const hub = await createTestHub();
  const worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
  cleanup.push(async () => {
    await worker.stop();
    await hub.close();
  });
  const connectionId = await connectSandbox(hub, sandbox);
  const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'full', period: '2026-10' } });
  expect(started.statusCode, started.body).toBe(202);
  await whileRunning?.(hub);
  const run = await waitForRun(hub, started.json().id, 120_000);
  return { hub, run, lines: await usageFingerprint(hub) };
}

describe('an export that Microsoft expired', () => {
  it('is requested again, and the sync lands the same lines as one that never waited', { timeout: 300_000 }, async () => {
    const reference = await startSmallSandbox();
    cleanup.push(() => reference.close());
    const expected = await sync(reference);
    expect(expected.run.status).toBe('succeeded');
    expect(expected.lines.length).toBeGreaterThan(100);

    // The sandbox's real-time clock jumps past the operations' lifetime once the first
    // export has been requested: every operation asked for until then answers 410.
    let offsetMs = 0;
    // A second between an export's status reads, so the jump below comes before its next read.
    const expiring = await startSmallSandbox({ operationLifetimeSeconds: 60, exportRetryAfterSeconds: 1, wallClock: () => Date.now() + offsetMs });
    cleanup.push(() => expiring.close());
    const got = await sync(expiring, async (hub) => {
      for (const deadline = Date.now() + 60_000; ; ) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from sync_cursors where scope like '%usage-export%' and cursor ? 'operationId'`.execute(hub.ctx.db);
        if (rows[0]!.n > 0) break;
        if (Date.now() > deadline) throw new Error('no export was requested');
        await new Promise((r) => setTimeout(r, 10));
      }
      offsetMs = 120_000;
    });
    expect(got.run.status).toBe('succeeded');
    expect(got.lines).toEqual(expected.lines);
    const { rows } = await sql<{ resubmits: number }>`select coalesce(sum((cursor->>'resubmits')::int), 0)::int as resubmits from sync_cursors where scope like '%usage-export%'`.execute(got.hub.ctx.db);
    expect(rows[0]!.resubmits).toBeGreaterThanOrEqual(1);
  });

  it('asks for a new export when a blob link (its SAS) expired before the blob was read, and lands the same lines', { timeout: 300_000 }, async () => {
    const reference = await startSmallSandbox();
    cleanup.push(() => reference.close());
    const expected = await sync(reference);
    expect(expected.run.status).toBe('succeeded');

    // Blob jobs wait (a worker that runs everything else) until the sandbox's clock has
    // passed the links' lifetime; then a full worker reads them and meets 403s.
    let offsetMs = 0;
    const expiring = await startSmallSandbox({ sasLifetimeSeconds: 60, wallClock: () => Date.now() + offsetMs });
    cleanup.push(() => expiring.close());
    const hub = await createTestHub();
    const allButBlobs = Object.keys(buildTaskList(hub.ctx)).filter((t) => t !== 'partner_center:usage_blob');
    let worker = await startWorker(hub.database.pool, { ...hub.ctx, config: { ...hub.ctx.config, workerTasks: allButBlobs } }, { concurrency: 4, crontab: '' });
    cleanup.push(async () => {
      await worker.stop();
      await hub.close();
    });
    const connectionId = await connectSandbox(hub, expiring);
    const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'full', period: '2026-10' } });
    expect(started.statusCode, started.body).toBe(202);
    for (const deadline = Date.now() + 120_000; ; ) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'partner_center:usage_blob'`.execute(hub.ctx.db);
      const { rows: exports } = await sql<{ n: number; done: number }>`select count(*)::int as n, count(*) filter (where cursor ? 'enqueued')::int as done from sync_cursors where scope like '%usage-export%'`.execute(hub.ctx.db);
      if (rows[0]!.n > 0 && exports[0]!.n > 0 && exports[0]!.n === exports[0]!.done) break;
      if (Date.now() > deadline) throw new Error('no blob job was enqueued');
      await new Promise((r) => setTimeout(r, 20));
    }
    offsetMs = 120_000;
    await worker.stop();
    worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
    const run = await waitForRun(hub, started.json().id, 120_000);
    expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
    expect(await usageFingerprint(hub)).toEqual(expected.lines);
    const { rows: expired } = await sql<{ n: number }>`select count(*)::int as n from sync_cursors where scope like '%:blob:%' and cursor ? 'linkExpired'`.execute(hub.ctx.db);
    expect(expired[0]!.n).toBeGreaterThan(0);
    const { rows } = await sql<{ resubmits: number }>`select coalesce(sum((cursor->>'resubmits')::int), 0)::int as resubmits from sync_cursors where scope like '%usage-export%'`.execute(hub.ctx.db);
    expect(rows[0]!.resubmits).toBeGreaterThanOrEqual(1);
  });
});
