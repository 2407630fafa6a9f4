import { hostname } from 'node:os';
import { Logger, parseCrontab, run, type Runner } from 'graphile-worker';
import type pg from 'pg';
import type { HubContext } from '../context.ts';
import { buildTaskList, CRONTAB } from './task-list.ts';

export const HEARTBEAT_INTERVAL_MS = 10_000;
/** /ready calls a worker alive while its heartbeat is younger than this. */
export const HEARTBEAT_FRESH_MS = 30_000;

export interface RunningWorker {
  id: string;
  runner: Runner;
  /** Waits for in-flight jobs, then stops polling. */
  stop(): Promise<void>;
}

export async function startWorker(pool: pg.Pool, ctx: HubContext, options: { concurrency?: number; crontab?: string } = {}): Promise<RunningWorker> {
  const id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const runner = await run({
    pgPool: pool,
    concurrency: options.concurrency ?? ctx.config.workerConcurrency,
    taskList: buildTaskList(ctx),
    // Parsed here so a missing ./crontab file is never looked for.
    parsedCronItems: parseCrontab(options.crontab ?? CRONTAB),
    noHandleSignals: true,
    logger: graphileLogger(ctx),
  });
  const beat = async () => {
    await ctx.db
      .insertInto('worker_heartbeats')
      .values({ worker_id: id, seen_at: new Date() })
      .onConflict((oc) => oc.column('worker_id').doUpdateSet({ seen_at: new Date() }))
      .execute()
      .catch((err: unknown) => ctx.logger.warn({ err }, 'worker heartbeat failed'));
  };
  await beat();
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  timer.unref();
  return {
    id,
    runner,
    stop: async () => {
      clearInterval(timer);
      await runner.stop();
      await runner.promise.catch(() => {});
      await ctx.db.deleteFrom('worker_heartbeats').where('worker_id', '=', id).execute().catch(() => {});
    },
  };
}

/** Route graphile-worker's own logging into the hub's pino logger. */
function graphileLogger(ctx: HubContext): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'info' : 'debug';
    ctx.logger[method]({ worker: scope, ...meta }, message);
  });
}
