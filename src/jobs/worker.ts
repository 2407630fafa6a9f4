import { EventEmitter } from 'node:events';
import { Logger, parseCrontab, run, type Runner, type WorkerEvents } from 'graphile-worker';
import { sql } from 'kysely';
import type pg from 'pg';
import type { HubContext } from '../context.ts';
import { buildTaskList, CRONTAB, selectTasks } from './task-list.ts';

/** A worker whose heartbeat is this many beats old is dead: /ready says so and its jobs are freed. */
export const MISSED_BEATS_BEFORE_DEAD = 3;

export interface RunningWorker {
  /** graphile-worker's ids of this process's pool and workers (what `locked_by` holds). */
  ids: ReadonlySet<string>;
  runner: Runner;
  /** Waits for in-flight jobs, then stops polling. */
  stop(): Promise<void>;
}

/**
 * Run graphile-worker with the hub's tasks and crontab, plus a heartbeat per worker.
 * graphile-worker frees a crashed worker's jobs only after four hours; the hub frees
 * them as soon as that worker's heartbeat is stale, so a killed worker's sync resumes
 * within seconds on any live worker (its own cursors say where).
 */
export async function startWorker(pool: pg.Pool, ctx: HubContext, options: { concurrency?: number; crontab?: string } = {}): Promise<RunningWorker> {
  const ids = new Set<string>();
  const events: WorkerEvents = new EventEmitter() as WorkerEvents;
  // Jobs are locked by the pool's id (and, in some modes, a worker's): beat for both.
  events.on('pool:create', ({ workerPool }) => ids.add(workerPool.id));
  events.on('worker:create', ({ worker }) => ids.add(worker.workerId));
  const taskList = selectTasks(buildTaskList(ctx), ctx.config.workerTasks);
  const runner = await run({
    pgPool: pool,
    concurrency: options.concurrency ?? ctx.config.workerConcurrency,
    taskList,
    // Parsed here so a missing ./crontab file is never looked for; a worker schedules
    // only what it runs itself (another worker schedules the rest).
    parsedCronItems: parseCrontab(options.crontab ?? CRONTAB).filter((item) => item.task in taskList),
    noHandleSignals: true,
    pollInterval: ctx.config.workerPollMs,
    logger: graphileLogger(ctx),
    events,
  });
  const interval = ctx.config.workerHeartbeatMs;
  const staleMs = interval * MISSED_BEATS_BEFORE_DEAD;
  const beat = async () => {
    try {
      const now = new Date();
      for (const id of ids) {
        await ctx.db
          .insertInto('worker_heartbeats')
          .values({ worker_id: id, seen_at: now })
          .onConflict((oc) => oc.column('worker_id').doUpdateSet({ seen_at: now }))
          .execute();
      }
      await freeJobsOfDeadWorkers(ctx, staleMs);
    } catch (err) {
      ctx.logger.warn({ err }, 'worker heartbeat failed');
    }
  };
  await beat();
  const timer = setInterval(beat, interval);
  timer.unref();
  return {
    ids,
    runner,
    stop: async () => {
      clearInterval(timer);
      await runner.stop();
      await runner.promise.catch(() => {});
      if (ids.size > 0) await ctx.db.deleteFrom('worker_heartbeats').where('worker_id', 'in', [...ids]).execute().catch(() => {});
    },
  };
}

/** Unlock the jobs of workers whose heartbeat went stale, and forget those workers. */
export async function freeJobsOfDeadWorkers(ctx: HubContext, staleMs: number): Promise<string[]> {
  const dead = await sql<{ worker_id: string }>`
    select worker_id from worker_heartbeats where seen_at < now() - make_interval(secs => ${staleMs / 1000})`.execute(ctx.db);
  const ids = dead.rows.map((r) => r.worker_id);
  if (ids.length === 0) return ids;
  await sql`select graphile_worker.force_unlock_workers(${ids}::text[])`.execute(ctx.db);
  await ctx.db.deleteFrom('worker_heartbeats').where('worker_id', 'in', ids).execute();
  ctx.logger.warn({ workers: ids }, 'freed the jobs of workers whose heartbeat stopped');
  return ids;
}

/** Route graphile-worker's own logging into the hub's pino logger. */
function graphileLogger(ctx: HubContext): Logger {
  return new Logger((scope) => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'info' ? 'info' : 'debug';
    ctx.logger[method]({ worker: scope, ...meta }, message);
  });
}
