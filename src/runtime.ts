import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import type { HubConfig } from './config.ts';
import { prettyLogLines } from './log-format.ts';
import type { HubContext } from './context.ts';
import { openDatabase, type DatabaseHandle } from './db/database.ts';
import { openDatabaseServer, type DatabaseServer } from './db/embedded-server.ts';
import { migrateToLatest } from './db/migrate.ts';
import { defaultWebhookProviders } from './connectors/index.ts';
import { parseSecretKey, SecretBox } from './security/secret-box.ts';

export interface Runtime {
  ctx: HubContext;
  database: DatabaseHandle;
  server: DatabaseServer;
  /** Closes the pool and, when this process started it, the embedded PostgreSQL. */
  close(): Promise<void>;
}

/** JSON lines to stdout (what `npm start` gives a log shipper), to `logFile`, or readable lines (`logFormat: pretty`). */
export function createLogger(config: Pick<HubConfig, 'logLevel' | 'logFormat' | 'logFile'>): Logger {
  const options = { level: config.logLevel, base: { service: 'csp-billing-hub' } };
  // Synchronous writes: lines logged just before process.exit are not lost.
  const destination = config.logFile ? pino.destination({ dest: config.logFile, mkdir: true, sync: true }) : pino.destination({ dest: 1, sync: true });
  return pino(options, config.logFormat === 'pretty' ? prettyLogLines(destination) : destination);
}

/**
 * HUB_SECRET_KEY guards vendor credentials. With an external database it must be
 * given; with the embedded one a key is generated once into the data directory so a
 * newcomer's `npm run demo` just works.
 */
async function resolveSecretKey(config: HubConfig, logger: Logger): Promise<Buffer> {
  if (config.secretKey) return parseSecretKey(config.secretKey);
  if (config.databaseUrl) {
    throw new Error('HUB_SECRET_KEY is required with DATABASE_URL: 32 bytes as 64 hex characters (openssl rand -hex 32)');
  }
  const file = join(config.dataDir, 'secret-key');
  if (!existsSync(file)) {
    await mkdir(config.dataDir, { recursive: true });
    await writeFile(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    logger.warn({ file }, 'HUB_SECRET_KEY not set: generated one for the embedded database (set it explicitly in production)');
  }
  return parseSecretKey(await readFile(file, 'utf8'));
}

/** Everything a command needs: database (embedded or not), migrations, secrets, logger. */
export async function openRuntime(config: HubConfig, options: { logger?: Logger; migrate?: boolean; poolSize?: number } = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger(config);
  const server = await openDatabaseServer(config, logger);
  const database = openDatabase(server.url, { max: options.poolSize ?? 10 });
  try {
    if (options.migrate !== false) await migrateToLatest(database.db, database.pool);
    const secrets = new SecretBox(await resolveSecretKey(config, logger));
    const ctx: HubContext = { db: database.db, pool: database.pool, config, logger, secrets, webhookProviders: defaultWebhookProviders() };
    return {
      ctx,
      database,
      server,
      close: async () => {
        await database.close();
        if (server.owned) await server.stop();
      },
    };
  } catch (err) {
    await database.close();
    if (server.owned) await server.stop();
    throw err;
  }
}
