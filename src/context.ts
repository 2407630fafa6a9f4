import type { Logger } from 'pino';
import type pg from 'pg';
import type { HubConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { WebhookProviderRegistry } from './connectors/webhooks.ts';

/** The services a request handler, a job and a CLI command share. */
export interface HubContext {
  db: Db;
  /** The same pool Kysely uses: for COPY and other work that needs a raw client. */
  pool: pg.Pool;
  config: HubConfig;
  logger: Logger;
  secrets: SecretBox;
  webhookProviders: WebhookProviderRegistry;
}
