import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeWorkerUtils, runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/jobs/enqueue.ts';
import { SALESFORCE_QUOTE_TO_CASH_TASK, salesforceJobKey } from '../../src/jobs/salesforce/quote-to-cash.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { OPPORTUNITIES, startSalesforceSandbox, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A worker process killed with SIGKILL in the middle of a quote-to-cash job (its token
// minted and stored, its SOQL call in flight): once graphile-worker gives the job up
// (its lock expires; forced here), the job runs again and lands what one clean run does.
const ROOT = join(import.meta.dirname, '..', '..');
const secretKeyHex = randomBytes(32).toString('hex');
let sandbox: SalesforceSandbox;
let hub: TestHub;

beforeAll(async () => {
  sandbox = await startSalesforceSandbox();
  hub = await createTestHub({ secretKeyHex });
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

describe('Salesforce quote-to-cash when the worker is killed mid-job', () => {
  it('re-runs to the same result: one customer, one quote revision, one pending card version', async () => {
    const c = sandbox.credentials;
    const res = await hub.app.inject({
      method: 'POST',
      url: '/v1/connections',
      headers: hub.auth(hub.keys.admin),
      payload: { provider: 'salesforce', name: 'Sandbox org', credentials: { clientId: c.clientId, clientSecret: c.clientSecret }, settings: { instanceUrl: sandbox.url, organizationId: c.organizationId } },
    });
    expect(res.statusCode, res.body).toBe(201);
    const payload = { connectionId: res.json().id, opportunityId: OPPORTUNITIES[0]!.Id };
    sandbox.org.win(payload.opportunityId);
    await enqueueJob(hub.ctx.db, SALESFORCE_QUOTE_TO_CASH_TASK, payload, { jobKey: salesforceJobKey(payload.opportunityId) });

    sandbox.setLimits({ delayMs: 120_000 });
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: hub.database.url, HUB_SECRET_KEY: secretKeyHex, WORKER_TASKS: 'salesforce:*', LOG_LEVEL: 'warn' };
    const worker = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    const exited = new Promise<void>((resolve) => worker.on('exit', () => resolve()));
    try {
      const deadline = Date.now() + 90_000;
      while (sandbox.stats().calls === 0 && worker.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(sandbox.stats().calls, output).toBeGreaterThan(0);
    } finally {
      worker.kill('SIGKILL');
      await exited;
    }
    expect(await hub.ctx.db.selectFrom('quotes').select('id').execute()).toEqual([]);
    const locked = await hub.ctx.pool.query<{ locked_by: string }>('select locked_by from graphile_worker.jobs where task_identifier = $1 and locked_by is not null', [SALESFORCE_QUOTE_TO_CASH_TASK]);
    expect(locked.rows).toHaveLength(1);

    const utils = await makeWorkerUtils({ pgPool: hub.database.pool });
    try {
      await utils.forceUnlockWorkers([locked.rows[0]!.locked_by]);
    } finally {
      await utils.release();
    }
    sandbox.setLimits({ delayMs: 0 });
    await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });

    const quotes = await hub.ctx.db.selectFrom('quotes').select(['revision', 'monthly_total', 'azure_monthly_budget', 'rate_card_version']).execute();
    expect(quotes).toEqual([{ revision: 1, monthly_total: '3092', azure_monthly_budget: '2300', rate_card_version: 1 }]);
    const customers = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('entity', '=', 'customer').where('system', '=', 'salesforce').execute();
    expect(customers).toHaveLength(1);
    expect(await hub.ctx.db.selectFrom('rate_card_versions').select(['version', 'status']).execute()).toEqual([{ version: 1, status: 'pending' }]);
    const left = await hub.ctx.pool.query('select 1 from graphile_worker.jobs where task_identifier = $1', [SALESFORCE_QUOTE_TO_CASH_TASK]);
    expect(left.rows).toEqual([]);
  }, 180_000);
});
