import { resolve } from 'node:path';

/** Everything the hub reads from its environment, in one place, so the server, the worker and every CLI command agree. */
export interface HubConfig {
  /** A PostgreSQL URL; when absent the hub runs an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  embeddedPgPort: number;
  host: string;
  port: number;
  /** 32-byte key (hex or base64) for AES-256-GCM encryption of connection secrets. */
  secretKey: string | undefined;
  logLevel: string;
  workerConcurrency: number;
  /**
   * Which tasks this process's worker runs: task identifiers or `prefix:*` patterns
   * (`billing:*`), or null for all. Lets a deployment close months in a worker of its
   * own, started with other Node flags (see README, memory).
   */
  workerTasks: string[] | null;
  /** IANA zone in which billing periods (calendar months) are cut. */
  billingTimeZone: string;
  /** How often a worker proves it is alive; three missed beats and its jobs are freed for others. */
  workerHeartbeatMs: number;
  /** Lines per ingestion transaction (each commits with the position it reached). */
  ingestBatchLines: number;
}

export type Env = Record<string, string | undefined>;

function intFrom(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

/** A comma-separated list; absent or blank means none was given. */
function listFrom(env: Env, name: string): string[] | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  const items = raw.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new Error(`${name} must be a comma-separated list without empty items, got "${raw}"`);
  return items;
}

export function loadConfig(env: Env = process.env): HubConfig {
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.HUB_DATA_DIR || '.data'),
    embeddedPgPort: intFrom(env, 'HUB_PG_PORT', 54329),
    host: env.HOST || '127.0.0.1',
    port: intFrom(env, 'PORT', 3000),
    secretKey: env.HUB_SECRET_KEY || undefined,
    logLevel: env.LOG_LEVEL || 'info',
    workerConcurrency: intFrom(env, 'WORKER_CONCURRENCY', 4),
    workerTasks: listFrom(env, 'WORKER_TASKS'),
    billingTimeZone: env.HUB_BILLING_TIME_ZONE || 'UTC',
    workerHeartbeatMs: Math.max(100, intFrom(env, 'HUB_WORKER_HEARTBEAT_MS', 10_000)),
    ingestBatchLines: Math.max(1, intFrom(env, 'HUB_INGEST_BATCH_LINES', 10_000)),
  };
}
