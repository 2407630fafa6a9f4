import pino from 'pino';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { webhookRegistry } from '../connectors/webhooks.ts';
import { SecretBox } from '../security/secret-box.ts';
import { buildApp } from './app.ts';

/**
 * The OpenAPI document as committed in openapi/openapi.json. Building it needs the
 * routes, not a database: the pool below is never used because nothing is requested.
 */
export async function renderOpenApi(): Promise<string> {
  const database = openDatabase('postgres://unused@127.0.0.1:1/unused', { max: 1 });
  const app = await buildApp({
    db: database.db,
    pool: database.pool,
    config: loadConfig({}),
    logger: pino({ level: 'silent' }),
    secrets: new SecretBox(Buffer.alloc(32)),
    webhookProviders: webhookRegistry([]),
  });
  try {
    await app.ready();
    return JSON.stringify(app.swagger(), null, 2) + '\n';
  } finally {
    await app.close();
    await database.close();
  }
}
