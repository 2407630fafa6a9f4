import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig } from '../../src/config.ts';
import type { HubContext } from '../../src/context.ts';
import { createApiKey } from '../../src/db/api-keys.ts';
import type { WebhookProvider } from '../../src/context.ts';
import { webhookRegistry } from '../../src/connectors/webhooks.ts';
import { buildApp } from '../../src/server/app.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { SecretBox } from '../../src/security/secret-box.ts';
import type { Role } from '../../src/security/api-keys.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export interface TestHub {
  app: FastifyInstance;
  ctx: HubContext;
  database: TestDatabase;
  /** One key per staff role, created up front. */
  keys: Record<Exclude<Role, 'portal'>, string>;
  keyFor(roles: Role[], customerId?: string | null): Promise<string>;
  auth(key: string): { authorization: string };
  close(): Promise<void>;
}

/** The real app on a fresh real database, driven with app.inject(). */
export async function createTestHub(
  options: { webhookProviders?: WebhookProvider[]; secretKeyHex?: string; env?: Record<string, string>; /** Run a real worker (for routes that enqueue jobs). */ worker?: boolean } = {},
): Promise<TestHub> {
  const database = await createTestDatabase();
  const ctx: HubContext = {
    db: database.db,
    pool: database.pool,
    // HUB_WORKER_POLL_MS comes from vitest.config.ts, which also hands it to spawned hub processes.
    config: { ...loadConfig({ HUB_WORKER_POLL_MS: process.env.HUB_WORKER_POLL_MS, ...options.env }), databaseUrl: database.url },
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    secrets: new SecretBox(options.secretKeyHex ? Buffer.from(options.secretKeyHex, 'hex') : randomBytes(32)),
    webhookProviders: webhookRegistry(options.webhookProviders ?? []),
  };
  const app = await buildApp(ctx);
  await app.ready();
  const worker = options.worker ? await startWorker(database.pool, ctx, { concurrency: 2, crontab: '' }) : undefined;
  const keyFor = async (roles: Role[], customerId: string | null = null) =>
    (await createApiKey(ctx.db, { name: `test ${roles.join('+')}`, roles, customerId }, { actor: 'system:test' })).key;
  const keys = {
    admin: await keyFor(['admin']),
    finance: await keyFor(['finance']),
    sales_ops: await keyFor(['sales_ops']),
    billing_ops: await keyFor(['billing_ops']),
    auditor: await keyFor(['auditor']),
  };
  return {
    app,
    ctx,
    database,
    keys,
    keyFor,
    auth: (key) => ({ authorization: `Bearer ${key}` }),
    close: async () => {
      await worker?.stop();
      await app.close();
      await database.drop();
    },
  };
}
