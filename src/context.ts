import type { Logger } from 'pino';
import type pg from 'pg';
import type { HubConfig } from './config.ts';
import type { Db } from './db/database.ts';
import type { SecretBox } from './security/secret-box.ts';

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

/** What a provider sees of an incoming webhook request, before anything is stored. */
export interface IncomingWebhook {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface StoredWebhook {
  id: string;
  eventId: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * One vendor's webhook behaviour. `verify` runs before anything is stored: false
 * means 401 and nothing written. `handle` runs later in a job and must be idempotent.
 */
export interface WebhookProvider {
  name: string;
  verify(request: IncomingWebhook): Promise<boolean> | boolean;
  /** The vendor's own event id, used to de-duplicate redeliveries. */
  eventId(request: IncomingWebhook): string;
  handle?(event: StoredWebhook, ctx: HubContext): Promise<void>;
}

export type WebhookProviderRegistry = ReadonlyMap<string, WebhookProvider>;
