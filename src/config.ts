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
  /** `json` (one object a line, for machines) or `pretty` (readable lines, request lines folded; see log-format.ts). */
  logFormat: LogFormat;
  /** Write the log to this file (appended, directories made) instead of stdout; null: stdout. */
  logFile: string | null;
  workerConcurrency: number;
  /**
   * Which tasks this process's worker runs: task identifiers or `prefix:*` patterns
   * (`billing:*`), or null for all. Lets a deployment close months in a worker of its
   * own, with its own settings (docs/operations.md).
   */
  workerTasks: string[] | null;
  /** IANA zone in which billing periods (calendar months) are cut. */
  billingTimeZone: string;
  /** How often a worker proves it is alive; three missed beats and its jobs are freed for others. */
  workerHeartbeatMs: number;
  /** Lines per ingestion transaction (each commits with the position it reached). */
  ingestBatchLines: number;
  /**
   * The hub's public base URL as vendors call it (`https://billing.example.com`, or with a
   * path prefix a proxy strips). Signed webhooks are checked against it plus the request's
   * path and query; null: the request's own scheme and Host header.
   */
  publicUrl: string | null;
  /** SMTP server for e-mail notifications (`smtp://user:pass@host:587`, `smtps://…`); null: e-mail channels cannot be made. */
  smtpUrl: string | null;
  /** The From of the hub's e-mails. */
  mailFrom: string;
  /** The largest Partner Center file an import accepts, in bytes (413 above it). */
  importMaxBytes: number;
  /** The most data rows an import accepts (400 above it). */
  importMaxRows: number;
  /**
   * `auto`: an issued invoice is e-mailed to its customer's billing contact as the close
   * issues it (when SMTP is configured and the customer has a billing e-mail); `manual`:
   * only when asked (POST /v1/invoices/{id}/deliveries).
   */
  invoiceDelivery: 'auto' | 'manual';
  /** A console session unused this long (seconds) is over: the next request must sign in again. */
  consoleIdleSeconds: number;
  /**
   * The domain whose MX points at the hub's bounce listener: invoice e-mails are sent with
   * the return path `bounce+<delivery id>@<domain>`, so late bounces name their delivery.
   * null: the mail server's default return path (`mailFrom`), and no late bounces.
   */
  bounceDomain: string | null;
  /** The port the API process receives bounces on (SMTP, 25 behind the MX); null: no listener. */
  bounceSmtpPort: number | null;
  /** The address the bounce listener binds; defaults to HOST. */
  bounceSmtpHost: string;
  /** How often a worker-only process writes its counters for the API's /metrics, in milliseconds. */
  metricsFlushMs: number;
  /**
   * How often an idle worker looks for jobs that became due (a retry's backoff or a
   * scheduled run_at ended), in milliseconds. New jobs wake it at once (LISTEN/NOTIFY).
   */
  workerPollMs: number;
}

export type Env = Record<string, string | undefined>;

export type LogFormat = 'json' | 'pretty';

function logFormatFrom(env: Env): LogFormat {
  const raw = env.LOG_FORMAT?.trim().toLowerCase();
  if (!raw || raw === 'json') return 'json';
  if (raw === 'pretty') return 'pretty';
  throw new Error(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}"`);
}

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

/** A URL from the environment, or null when unset; `example` shows the expected form in the error. */
function urlFrom(env: Env, name: string, example: string): URL | null {
  const raw = env[name]?.trim();
  if (!raw) return null;
  try {
    return new URL(raw);
  } catch {
    throw new Error(`${name} must be an absolute URL such as ${example}, got "${raw}"`);
  }
}

/** An absolute http(s) URL without query or fragment; a trailing slash is dropped. */
function baseUrlFrom(env: Env, name: string): string | null {
  const url = urlFrom(env, name, 'https://billing.example.com');
  if (!url) return null;
  const raw = env[name]!.trim();
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name} must be an http or https URL, got "${raw}"`);
  if (url.search || url.hash) throw new Error(`${name} must not carry a query or fragment, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

/** An smtp:// or smtps:// URL; the password it may carry never appears in an error. */
function smtpUrlFrom(env: Env, name: string): string | null {
  const url = urlFrom(env, name, 'smtp://user:password@mail.example.com:587');
  if (!url) return null;
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`${name} must be an smtp:// or smtps:// URL, got "${url.protocol}//…"`);
  return env[name]!.trim();
}

function invoiceDeliveryFrom(env: Env): 'auto' | 'manual' {
  const raw = env.HUB_INVOICE_DELIVERY?.trim().toLowerCase();
  if (!raw || raw === 'auto') return 'auto';
  if (raw === 'manual') return 'manual';
  throw new Error(`HUB_INVOICE_DELIVERY must be auto or manual, got "${env.HUB_INVOICE_DELIVERY}"`);
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
    logFormat: logFormatFrom(env),
    logFile: env.HUB_LOG_FILE ? resolve(env.HUB_LOG_FILE) : null,
    workerConcurrency: intFrom(env, 'WORKER_CONCURRENCY', 4),
    workerTasks: listFrom(env, 'WORKER_TASKS'),
    billingTimeZone: env.HUB_BILLING_TIME_ZONE || 'UTC',
    workerHeartbeatMs: Math.max(100, intFrom(env, 'HUB_WORKER_HEARTBEAT_MS', 10_000)),
    ingestBatchLines: Math.max(1, intFrom(env, 'HUB_INGEST_BATCH_LINES', 10_000)),
    publicUrl: baseUrlFrom(env, 'HUB_PUBLIC_URL'),
    smtpUrl: smtpUrlFrom(env, 'HUB_SMTP_URL'),
    mailFrom: env.HUB_MAIL_FROM?.trim() || 'CSP Billing Hub <billing-hub@localhost>',
    importMaxBytes: Math.max(1, intFrom(env, 'HUB_IMPORT_MAX_BYTES', 100 * 1024 * 1024)),
    importMaxRows: Math.max(1, intFrom(env, 'HUB_IMPORT_MAX_ROWS', 1_000_000)),
    invoiceDelivery: invoiceDeliveryFrom(env),
    consoleIdleSeconds: Math.max(1, intFrom(env, 'HUB_CONSOLE_IDLE_SECONDS', 30 * 60)),
    bounceDomain: env.HUB_BOUNCE_DOMAIN?.trim().toLowerCase() || null,
    bounceSmtpPort: env.HUB_BOUNCE_SMTP_PORT?.trim() ? intFrom(env, 'HUB_BOUNCE_SMTP_PORT', 25) : null,
    bounceSmtpHost: env.HUB_BOUNCE_SMTP_HOST?.trim() || env.HOST || '127.0.0.1',
    metricsFlushMs: Math.max(1000, intFrom(env, 'HUB_METRICS_FLUSH_MS', 15_000)),
    workerPollMs: Math.max(10, intFrom(env, 'HUB_WORKER_POLL_MS', 2000)),
  };
}
