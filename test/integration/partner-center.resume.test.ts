import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import { connectSandbox, startSmallSandbox, usageFingerprint, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Issue 3's promise: kill the worker mid-sync, start another, and end with exactly the
// lines of an uninterrupted run — nothing skipped, nothing stored twice.
const ROOT = join(import.meta.dirname, '..', '..');
const ENV = { HUB_WORKER_HEARTBEAT_MS: '300', HUB_INGEST_BATCH_LINES: '400' };
const SANDBOX = { customers: 12, resourcesPerSubscription: 8, linesPerBlob: 3000 };
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function spawnWorker(hub: TestHub, secretKeyHex: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'worker'], {
    cwd: ROOT,
    env: { ...process.env, ...ENV, DATABASE_URL: hub.database.url, HUB_SECRET_KEY: secretKeyHex, LOG_LEVEL: 'warn', WORKER_CONCURRENCY: '2' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return child;
}

async function reference(sandbox: PartnerCenterSandbox): Promise<{ lines: string[]; progressLines: number }> {
  const hub = await createTestHub({ env: ENV });
  cleanup.push(() => hub.close());
  const worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 2, crontab: '' });
  const connectionId = await connectSandbox(hub, sandbox);
  const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.admin), payload: { kind: 'full', period: '2026-10' } });
  const run = await waitForRun(hub, started.json().id, 120_000);
  await worker.stop();
  expect(run.status).toBe('succeeded');
  return { lines: await usageFingerprint(hub), progressLines: run.progress.lines };
}

describe('a sync interrupted by a killed worker', () => {
  it('resumes from its saved cursors and ends with exactly the lines of an uninterrupted run', { timeout: 360_000 }, async () => {
    const sandbox = await startSmallSandbox(SANDBOX);
    cleanup.push(() => sandbox.close());
    const expected = await reference(sandbox);
    expect(expected.lines.length).toBeGreaterThan(2000);

    const secretKeyHex = randomBytes(32).toString('hex');
    const hub = await createTestHub({ secretKeyHex, env: ENV });
    cleanup.push(() => hub.close());
    const connectionId = await connectSandbox(hub, sandbox);
    const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.admin), payload: { kind: 'full', period: '2026-10' } });
    const runId = started.json().id as string;

    const first = spawnWorker(hub, secretKeyHex);
    // Kill it once some usage has landed but well before the end: mid-blob.
    // Generous: a spawned worker on a loaded 2-core machine takes a while to start ingesting.
    const deadline = Date.now() + 180_000;
    for (;;) {
      const run = await hub.ctx.db.selectFrom('sync_runs').select(['lines', 'status']).where('id', '=', runId).executeTakeFirstOrThrow();
      if (run.lines >= 800) break;
      if (run.status !== 'running' && run.status !== 'queued') throw new Error(`run ended before the kill: ${run.status}`);
      if (Date.now() > deadline) throw new Error('no usage landed in time');
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = await hub.ctx.db.selectFrom('sync_runs').select(['lines', 'status']).where('id', '=', runId).executeTakeFirstOrThrow();
    expect(atKill.status).toBe('running');
    expect(atKill.lines).toBeLessThan(expected.progressLines);
    const locked = await hub.ctx.db.selectFrom('worker_heartbeats').select('worker_id').execute();
    expect(locked.length).toBeGreaterThan(0); // the dead worker's heartbeat is still there

    spawnWorker(hub, secretKeyHex);
    const run = await waitForRun(hub, runId, 60_000);
    expect(run.status).toBe('succeeded');
    expect(run.progress.lines).toBe(expected.progressLines);
    expect(await usageFingerprint(hub)).toEqual(expected.lines);
  });
});
