import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ensureReachable, postgresUser } from './data-dir-access.ts';
import { EmbeddedPostgres } from './embedded-postgres.ts';
import pg from 'pg';
import type { Logger } from 'pino';
import type { HubConfig } from '../config.ts';

/** Where the hub's database lives and whether this process must stop it on exit. */
export interface DatabaseServer {
  url: string;
  /** True when this process started the embedded cluster and so must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

const DATABASE_NAME = 'hub';
const DATABASE_USER = 'hub';

/**
 * Resolve the database the hub talks to: `DATABASE_URL` when set; otherwise the
 * embedded cluster under `dataDir/pg`, reusing it when another hub process already
 * runs it (two postmasters on one data directory would corrupt it).
 */
export async function openDatabaseServer(config: HubConfig, logger?: Logger): Promise<DatabaseServer> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, owned: false, stop: async () => {} };
  }
  const pgDir = join(config.dataDir, 'pg');
  const firstCreated = await mkdir(config.dataDir, { recursive: true });
  const password = await readOrCreatePassword(config.dataDir);
  const running = await runningPostmasterPort(pgDir);
  if (running !== undefined) {
    logger?.debug({ port: running }, 'using the embedded PostgreSQL another hub process runs');
    return { url: urlFor(running, password, DATABASE_NAME), owned: false, stop: async () => {} };
  }
  // PostgreSQL refuses to run as root; containers and CI often are root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const opened = await ensureReachable(config.dataDir, await postgresUser(), createdDirs(firstCreated, config.dataDir));
    if (opened.length > 0) logger?.info({ dirs: opened }, 'let the postgres user enter the data directories the hub created (o+x)');
  }
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: DATABASE_USER,
    password,
    port: config.embeddedPgPort,
    persistent: true,
    createPostgresUser: asRoot,
    onLog: (message: unknown) => logger?.trace({ postgres: String(message) }, 'postgres'),
    onError: (message: unknown) => logger?.debug({ postgres: String(message) }, 'postgres'),
  });
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    logger?.info({ dir: pgDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(urlFor(config.embeddedPgPort, password, 'postgres'), DATABASE_NAME);
  logger?.info({ port: config.embeddedPgPort, dir: pgDir }, 'embedded PostgreSQL started');
  return {
    url: urlFor(config.embeddedPgPort, password, DATABASE_NAME),
    owned: true,
    stop: async () => {
      await server.stop();
    },
  };
}

/** The directories `mkdir -p` made: from the first it created down to `dir`. */
function createdDirs(firstCreated: string | undefined, dir: string): string[] {
  if (!firstCreated) return [];
  const out: string[] = [];
  for (let d = resolve(dir); d.startsWith(firstCreated); d = dirname(d)) {
    out.push(d);
    if (d === firstCreated || dirname(d) === d) break;
  }
  return out;
}

function urlFor(port: number, password: string, database: string): string {
  return `postgres://${DATABASE_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function readOrCreatePassword(dataDir: string): Promise<string> {
  const file = join(dataDir, 'pg-password');
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  await mkdir(dataDir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, password + '\n', { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return (await readFile(file, 'utf8')).trim();
}

/** The port of a live postmaster on this data directory, read from its postmaster.pid. */
async function runningPostmasterPort(pgDir: string): Promise<number | undefined> {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale file of a crashed postmaster: PostgreSQL itself recovers from it
  }
  return port;
}

export async function ensureDatabase(adminUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      const from = template ? ` template ${pg.escapeIdentifier(template)}` : '';
      await client.query(`create database ${pg.escapeIdentifier(name)}${from}`);
    }
  } finally {
    await client.end();
  }
}
