import type { Logger } from 'pino';
import type { HubConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { SecretBox } from './security/secret-box.ts';
import type { WebhookProviderRegistry } from './connectors/webhooks.ts';

/** The services a request handler, a job and a CLI command share. */
export interface HubContext {
  db: Db;
  config: HubConfig;
  logger: Logger;
  secrets: SecretBox;
  webhookProviders: WebhookProviderRegistry;
}
