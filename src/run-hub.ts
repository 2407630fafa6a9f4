import module from 'node:module';
import type { HubConfig } from './config.ts';
import { startWorker, type RunningWorker } from './jobs/worker.ts';
import { PROCESS_ID, startCounterFlush } from './metrics/counter-flush.ts';
import { FLUSHED_COUNTERS } from './metrics/process-metrics.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import { startBounceListener, type BounceListener } from './notifications/bounce-listener.ts';
import { buildApp } from './server/app.ts';

/** Run the API and/or a worker until SIGTERM/SIGINT, then drain both and stop the database. */
export async function runHub(config: HubConfig, parts: { api: boolean; worker: boolean }, onReady?: (runtime: Runtime, address: string | null) => Promise<void>): Promise<number> {
  const runtime = await openRuntime(config);
  const { ctx } = runtime;
  // Listened for before anything starts: a worker counts as live (/ready) from its first
  // heartbeat, inside startWorker, and a stop asked for from then on must drain, not kill.
  const stopRequested = new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        ctx.logger.warn({ signal }, 'second signal: exiting without draining');
        process.exit(1);
      }
      stopping = true;
      ctx.logger.info({ signal }, 'draining: finishing in-flight requests and jobs');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  let worker: RunningWorker | undefined;
  let bounces: BounceListener | undefined;
  // A worker without the API serves no /metrics: its counters reach the API's through PostgreSQL.
  const flush = parts.api
    ? undefined
    : startCounterFlush(ctx.db, { processId: PROCESS_ID, counters: FLUSHED_COUNTERS, intervalMs: config.metricsFlushMs, onError: (err) => ctx.logger.warn({ err }, 'counters not flushed') });
  const app = parts.api ? await buildApp(ctx) : undefined;
  try {
    if (parts.worker) worker = await startWorker(runtime.database.pool, ctx);
    const address = app ? await app.listen({ host: config.host, port: config.port }) : null;
    // Bounces are an inbound listener like the API: one process owns the port, not every worker.
    if (app && config.bounceSmtpPort !== null && config.bounceDomain) {
      bounces = await startBounceListener(ctx, { host: config.bounceSmtpHost, port: config.bounceSmtpPort, domain: config.bounceDomain });
      ctx.logger.info({ port: bounces.port, domain: config.bounceDomain }, 'receiving bounces');
    }
    ctx.logger.info({ address, workers: worker ? [...worker.ids] : [] }, 'hub running');
    // Node writes the compile cache (bin/hub.js) at exit; written now, a process started
    // while this one runs finds the modules it loaded already compiled.
    module.flushCompileCache?.();
    if (onReady) await onReady(runtime, address);
  } catch (err) {
    await bounces?.close();
    await app?.close();
    await worker?.stop();
    await flush?.stop();
    await runtime.close();
    throw err;
  }
  // The hub owns shutdown order: requests, then jobs, then the database (see db/embedded-postgres.ts).
  await stopRequested;
  await bounces?.close();
  await app?.close();
  await worker?.stop();
  await flush?.stop();
  await runtime.close();
  ctx.logger.info('stopped cleanly');
  return 0;
}
