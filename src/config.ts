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
  /** IANA zone in which billing periods (calendar months) are cut. */
  billingTimeZone: string;
  /** How often a worker proves it is alive; three missed beats and its jobs are freed for others. */
  workerHeartbeatMs: number;
  /** Lines per ingestion transaction (each commits with the position it reached). */
  ingestBatchLines: number;
  /** Usage lines a close reads and prices at a time (its memory per customer is about one batch). */
  closeBatchLines: number;
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
    billingTimeZone: env.HUB_BILLING_TIME_ZONE || 'UTC',
    workerHeartbeatMs: Math.max(100, intFrom(env, 'HUB_WORKER_HEARTBEAT_MS', 10_000)),
    ingestBatchLines: Math.max(1, intFrom(env, 'HUB_INGEST_BATCH_LINES', 10_000)),
    closeBatchLines: Math.max(1, intFrom(env, 'HUB_CLOSE_BATCH_LINES', 1_000)),
  };
}
