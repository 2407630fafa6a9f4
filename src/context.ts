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
  method: string;
  /**
   * The full URI the vendor called, as sent: the hub's public base URL (HUB_PUBLIC_URL,
   * or the request's scheme and Host header) followed by the request's path and query.
   */
  uri: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

/** One event of a request, as the inbox stores it; `eventId` de-duplicates its redeliveries. */
export interface WebhookEvent {
  eventId: string;
  body: string;
}

/** Why a request was refused: 401 (signature, timestamp, unknown sender) or 400 (malformed body). */
export interface WebhookRefusal {
  status: 400 | 401;
  reason: string;
}

export interface StoredWebhook {
  id: string;
  eventId: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * One vendor's webhook behaviour. `accept` runs before anything is stored: it checks the
 * request (signature, freshness, sender) and returns the events it carries, or a refusal
 * and nothing is written. `handle` runs later in a job, once per event, and must be idempotent.
 */
export interface WebhookProvider {
  name: string;
  accept(request: IncomingWebhook, ctx: HubContext): Promise<WebhookEvent[] | WebhookRefusal> | WebhookEvent[] | WebhookRefusal;
  handle?(event: StoredWebhook, ctx: HubContext): Promise<void>;
  /**
   * How the vendor wants to be answered: 'accepted' (default) 202 with the stored events;
   * 'ok-empty' 200 with no body, where a signed request with no event is the vendor
   * checking the endpoint (Xero's intent to receive) and stores nothing.
   */
  answer?: 'accepted' | 'ok-empty';
  /**
   * The answer a vendor requires once the events are stored (Salesforce's SOAP Ack);
   * undefined: the hub's own 202 JSON answer.
   */
  respond?(events: WebhookEvent[]): WebhookAnswer | undefined;
}

export interface WebhookAnswer {
  status: 200;
  contentType: string;
  body: string;
}

export type WebhookProviderRegistry = ReadonlyMap<string, WebhookProvider>;
