import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/jobs/enqueue.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// WORKER_TASKS: a worker that runs only some tasks leaves the others' jobs, untouched, to a
// worker that runs them (so a deployment can close months in a process of its own).
let hub: TestHub;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  hub = await createTestHub({ env: { WORKER_TASKS: 'billing:*' } });
});

afterAll(async () => {
  for (const w of workers) await w.stop();
  await hub?.close();
});

async function webhookJob(): Promise<{ attempts: number } | undefined> {
  const { rows } = await sql<{ attempts: number }>`select attempts from graphile_worker.jobs where task_identifier = 'webhook:process'`.execute(hub.ctx.db);
  return rows[0];
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a worker limited to billing:* (WORKER_TASKS)', () => {
  it('closes a month and leaves a webhook job for a worker that runs it', async () => {
    // No such inbox row: whichever worker runs the job attempts it and records the failure.
    await enqueueJob(hub.ctx.db, 'webhook:process', { inboxId: '00000000-0000-4000-8000-000000000000' }, { maxAttempts: 1 });
    workers.push(await startWorker(hub.database.pool, hub.ctx, { concurrency: 2 }));

    const started = await hub.app.inject({ method: 'POST', url: '/v1/billing-runs', payload: { period: '2026-10' }, headers: hub.auth(hub.keys.billing_ops) });
    expect(started.statusCode, started.body).toBe(202);
    const id = started.json().id as string;
    let status = '';
    await until(async () => {
      status = (await hub.app.inject({ method: 'GET', url: `/v1/billing-runs/${id}`, headers: hub.auth(hub.keys.billing_ops) })).json().status;
      return !['queued', 'running'].includes(status);
    }, 'the billing run');
    expect(status).toBe('succeeded');
    expect(await webhookJob()).toEqual({ attempts: 0 });

    // A worker for everything else picks it up.
    workers.push(await startWorker(hub.database.pool, { ...hub.ctx, config: { ...hub.ctx.config, workerTasks: ['webhook:*', 'partner_center:*'] } }, { concurrency: 1 }));
    await until(async () => (await webhookJob())?.attempts !== 0, 'the webhook job to be attempted');
  });

  it('refuses a pattern that matches no task, by name', async () => {
    const started = startWorker(hub.database.pool, { ...hub.ctx, config: { ...hub.ctx.config, workerTasks: ['biling:*'] } });
    started.then((w) => workers.push(w), () => {}); // stopped after all, should it start
    await expect(started).rejects.toThrow(/WORKER_TASKS: "biling:\*" matches no task/);
  });
});
