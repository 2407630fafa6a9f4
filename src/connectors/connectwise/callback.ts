import type { HubContext, IncomingWebhook, StoredWebhook, WebhookEvent, WebhookProvider, WebhookRefusal } from '../../context.ts';
import { refuse } from '../webhooks.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import { connectwiseDeclaration } from './declaration.ts';
import { fetchSigningKey, isValidCallbackSignature, trustedKeyUrl } from './signature.ts';

/** The fields of a ConnectWise callback the hub reads; the record itself (`Entity`) is never trusted. */
export interface ConnectWiseCallback {
  MessageId: string;
  Action: string;
  Type: string;
  ID: number | string;
  connectionId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a callback: the connection from the registered URL's `connectionId` query
 * parameter, the message from the JSON body. Returns the reason when malformed.
 */
export function parseCallback(uri: string, rawBody: Buffer): ConnectWiseCallback | string {
  const connectionId = new URL(uri).searchParams.get('connectionId');
  if (!connectionId || !UUID.test(connectionId)) return 'the callback URL must carry ?connectionId=<the hub connection id>';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'body is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'body is not an object';
  for (const field of ['MessageId', 'Action', 'Type'] as const) if (typeof body[field] !== 'string' || body[field] === '') return `body.${field} must be a string`;
  if (typeof body.ID !== 'number' && typeof body.ID !== 'string') return 'body.ID must be the record id';
  return { MessageId: body.MessageId as string, Action: body.Action as string, Type: body.Type as string, ID: body.ID as number | string, connectionId };
}

export interface ConnectWiseCallbackOptions {
  /** Starts an early sync of the connection for a callback of this type (`time`, `agreement`). */
  handle: (callback: ConnectWiseCallback, ctx: HubContext) => Promise<void>;
}

async function isActiveConnection(ctx: Pick<HubContext, 'db'>, id: string): Promise<boolean> {
  const row = await ctx.db.selectFrom('connections').select('id').where('id', '=', id).where('provider', '=', connectwiseDeclaration.vendor).where('status', '=', 'active').executeTakeFirst();
  return row !== undefined;
}

/**
 * Checks `x-content-signature` when the callback carries one, and refuses an unsigned
 * callback when the connection's `requireCallbackSignature` setting is true (cloud
 * ConnectWise always signs; older on-premises versions may not). Returns the refusal, or
 * null when the callback may be stored.
 */
async function signatureRefusal(ctx: HubContext, request: IncomingWebhook, connectionId: string): Promise<WebhookRefusal | null> {
  const header = request.headers[connectwiseDeclaration.callbacks.signatureHeader];
  const signature = Array.isArray(header) ? header[0] : header;
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  const settings = row.settings as { site?: unknown; requireCallbackSignature?: unknown };
  if (!signature) return settings.requireCallbackSignature === true ? refuse(401, `${connectwiseDeclaration.callbacks.signatureHeader} is missing and this connection requires signed callbacks`) : null;
  if (typeof settings.site !== 'string') return refuse(401, 'the connection has no site to read the signing key from');
  const keyUrl = trustedKeyUrl(request.rawBody, settings.site);
  if (typeof keyUrl === 'string') return refuse(401, keyUrl);
  let key: string;
  try {
    key = await fetchSigningKey(keyUrl, credentials.clientId ?? '');
  } catch (error) {
    return refuse(401, `the signing key could not be read: ${(error as Error).message}`);
  }
  return isValidCallbackSignature(key, request.rawBody, signature) ? null : refuse(401, `${connectwiseDeclaration.callbacks.signatureHeader} does not match the body`);
}

/**
 * `POST /webhooks/connectwise?connectionId=…`: a callback is a hint, never data. A signed
 * one whose signature does not match is refused before anything is stored. It is
 * stored under its MessageId (a redelivery is a duplicate) and its job starts an early
 * incremental sync, at most one per connection per minute, which re-reads the records
 * from ConnectWise itself: a forged callback can cost a sync, never change a figure.
 */
export function connectwiseCallbackProvider(options: ConnectWiseCallbackOptions): WebhookProvider {
  return {
    name: connectwiseDeclaration.vendor,
    async accept(request: IncomingWebhook, ctx): Promise<WebhookEvent[] | WebhookRefusal> {
      const callback = parseCallback(request.uri, request.rawBody);
      if (typeof callback === 'string') return refuse(400, callback);
      if (!(await isActiveConnection(ctx, callback.connectionId))) return refuse(401, `connection ${callback.connectionId} is not an active ConnectWise connection`);
      const refused = await signatureRefusal(ctx, request, callback.connectionId);
      if (refused) return refused;
      return [{ eventId: `${callback.connectionId}:${callback.MessageId}`, body: JSON.stringify(callback) }];
    },
    async handle(stored: StoredWebhook, ctx): Promise<void> {
      await options.handle(JSON.parse(stored.body) as ConnectWiseCallback, ctx);
    },
  };
}
