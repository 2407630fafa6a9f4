import { startPartnerCenterSandbox, type PartnerCenterSandbox, type PartnerCenterSandboxOptions } from '../../src/sandbox/partner-center/index.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { createTestHub, type TestHub } from './test-hub.ts';

export const SANDBOX_NOW = new Date('2026-11-25T06:00:00Z');

/** A small deterministic portfolio: October billed (invoice out on the 8th) and November unbilled. */
export function startSmallSandbox(options: PartnerCenterSandboxOptions = {}): Promise<PartnerCenterSandbox> {
  return startPartnerCenterSandbox({
    seed: 7,
    customers: 5,
    subscriptionsPerCustomer: 3,
    resourcesPerSubscription: 3,
    period: '2026-10',
    now: SANDBOX_NOW,
    exportPollsBeforeReady: 1,
    // Microsoft says seconds; a test that is not about the wait need not spend them (the
    // client reads a fractional Retry-After as well).
    exportRetryAfterSeconds: 0.2,
    linesPerBlob: 500,
    ...options,
  });
}

/** Connect the hub to the sandbox through the API, as an admin would. */
export async function connectSandbox(hub: TestHub, sandbox: PartnerCenterSandbox, extraSettings: Record<string, string | number | string[]> = {}): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'partner-center',
      name: `sandbox ${Math.random().toString(36).slice(2, 8)}`,
      credentials: sandbox.credentials,
      settings: {
        partnerCenterBaseUrl: sandbox.partnerCenterUrl,
        graphBaseUrl: sandbox.graphUrl,
        authorityUrl: sandbox.authorityUrl,
        blobBaseUrl: sandbox.url,
        requestsPerMinute: 6000,
        graphRequestsPerMinute: 600,
        ...extraSettings,
      },
    },
  });
  if (res.statusCode !== 201) throw new Error(`connection: ${res.body}`);
  return res.json().id as string;
}

export async function waitForRun(hub: TestHub, runId: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await hub.app.inject({ method: 'GET', url: `/v1/sync-runs/${runId}`, headers: hub.auth(hub.keys.billing_ops) })).json();
    if (['succeeded', 'partial', 'failed'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status}: ${JSON.stringify(run.progress)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function usageFingerprint(hub: TestHub): Promise<string[]> {
  const rows = await hub.ctx.db
    .selectFrom('usage_lines')
    .select(['usage_date', 'line_key', 'quantity', 'billing_pre_tax_total', 'invoice_number'])
    .orderBy('usage_date')
    .orderBy('line_key')
    .execute();
  return rows.map((r) => `${r.usage_date}|${r.line_key}|${r.quantity}|${r.billing_pre_tax_total}|${r.invoice_number ?? ''}`);
}

/** A full sync of one period started through the API as billing ops would; the run when it finished without errors. */
export async function fullSyncThroughApi(hub: TestHub, connectionId: string, period = '2026-10'): Promise<Record<string, any>> {
  const started = await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'full', period } });
  if (started.statusCode !== 202) throw new Error(`sync refused: ${started.statusCode} ${started.body}`);
  const run = await waitForRun(hub, started.json().id, 120_000);
  if (run.status !== 'succeeded' || (run.errors as unknown[]).length > 0) throw new Error(`sync ${run.status}: ${JSON.stringify(run.errors)}`);
  return run;
}

/** A hub with a worker, connected to the small sandbox through the API: what the mapping tests start from. */
export interface SyncedHub {
  hub: TestHub;
  worker: RunningWorker;
  sandbox: PartnerCenterSandbox;
  connectionId: string;
}

export async function startConnectedHub(): Promise<SyncedHub> {
  const hub = await createTestHub();
  const worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
  const sandbox = await startSmallSandbox();
  return { hub, worker, sandbox, connectionId: await connectSandbox(hub, sandbox) };
}

export async function stopConnectedHub(env: Partial<SyncedHub> | undefined): Promise<void> {
  await env?.worker?.stop();
  await env?.hub?.close();
  await env?.sandbox?.close();
}
