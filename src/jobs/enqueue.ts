import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/types.ts';

export interface EnqueueOptions {
  /** De-duplicates: a second job with the same key replaces the pending one instead of adding another. */
  jobKey?: string;
  /** 'preserve_run_at' keeps the first schedule when a repeated trigger arrives. */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  queueName?: string;
  runAt?: Date;
  maxAttempts?: number;
  priority?: number;
}

/**
 * Add a graphile-worker job through SQL, inside the caller's transaction, so the job
 * exists if and only if the change that asked for it committed.
 */
export async function enqueueJob(
  db: Transaction<Database> | Kysely<Database>,
  task: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<void> {
  await sql`select graphile_worker.add_job(
      identifier => ${task},
      payload => ${JSON.stringify(payload)}::json,
      queue_name => ${options.queueName ?? null},
      run_at => ${options.runAt ?? null}::timestamptz,
      max_attempts => ${options.maxAttempts ?? null}::int,
      job_key => ${options.jobKey ?? null},
      priority => ${options.priority ?? null}::int,
      job_key_mode => ${options.jobKeyMode ?? (options.jobKey ? 'replace' : null)}
    )`.execute(db);
}

/**
 * Adds one job per payload in one statement (graphile-worker's add_jobs), inside the
 * caller's transaction: a batch of webhook events enqueues its jobs in one round trip.
 */
export async function enqueueJobs(
  db: Transaction<Database> | Kysely<Database>,
  task: string,
  jobs: readonly { payload: Record<string, unknown>; jobKey?: string }[],
): Promise<void> {
  if (jobs.length === 0) return;
  await sql`select graphile_worker.add_jobs(array(
      select row(${task}, j.payload::json, null, null, null, j.job_key, null, null)::graphile_worker.job_spec
      from unnest(${jobs.map((j) => JSON.stringify(j.payload))}::text[], ${jobs.map((j) => j.jobKey ?? null)}::text[]) as j(payload, job_key)
    ))`.execute(db);
}
