import type { Selectable } from 'kysely';
import type { HubContext } from '../context.ts';
import type { Db } from './database.ts';
import type { Database } from './types.ts';

/** Decrypt a connection's credentials for a connector: the one place they are opened. */
export async function loadConnectionSecrets(
  ctx: Pick<HubContext, 'db' | 'secrets'>,
  connectionId: string,
): Promise<{ row: Selectable<Database['connections']>; credentials: Record<string, string> }> {
  const row = await ctx.db.selectFrom('connections').selectAll().where('id', '=', connectionId).executeTakeFirst();
  if (!row) throw new Error(`connection ${connectionId} does not exist`);
  return { row, credentials: ctx.secrets.openJson<Record<string, string>>(row.credentials_encrypted, row.id) };
}

/** Persist credentials a vendor rotated (e.g. Microsoft's refresh token), keeping the rest. */
export async function updateConnectionSecret(
  ctx: Pick<HubContext, 'db' | 'secrets'>,
  connectionId: string,
  changes: Record<string, string>,
  /** Told the new sealed value before it is stored (a client cache recognises its own write). */
  onSealed?: (sealed: string) => void,
): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('connections').select(['credentials_encrypted']).where('id', '=', connectionId).forUpdate().executeTakeFirstOrThrow();
    const merged = { ...ctx.secrets.openJson<Record<string, string>>(row.credentials_encrypted, connectionId), ...changes };
    const sealed = ctx.secrets.sealJson(merged, connectionId);
    onSealed?.(sealed);
    await trx
      .updateTable('connections')
      .set({ credentials_encrypted: sealed, credential_fields: Object.keys(merged).sort() })
      .where('id', '=', connectionId)
      .execute();
  });
  forgetActiveConnections(ctx.db);
}

export interface OpenConnection {
  id: string;
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
}

/** A provider's active connections with their credentials opened, oldest first (webhook checks try each). */
export async function activeConnections(ctx: Pick<HubContext, 'db' | 'secrets'>, provider: string): Promise<OpenConnection[]> {
  const rows = await ctx.db.selectFrom('connections').selectAll().where('provider', '=', provider).where('status', '=', 'active').orderBy('created_at').execute();
  return rows.map((row) => ({
    id: row.id,
    settings: row.settings as Record<string, unknown>,
    credentials: ctx.secrets.openJson<Record<string, string>>(row.credentials_encrypted, row.id),
  }));
}

// Webhook intake checks every request's signature against the active connections'
// secrets. Reading and decrypting them per request put a database round trip in front of
// every delivery, so intake keeps them for a few seconds. A change made through this
// process (the connection routes, a rotated token saved by a job) forgets them at once;
// a change made by another process (another API pod, SQL) is seen within
// ACTIVE_CONNECTIONS_MAX_AGE_MS.

/** How long another process's rotation or disabling of a connection may go unseen by intake. */
export const ACTIVE_CONNECTIONS_MAX_AGE_MS = 5_000;

interface Entry {
  at: number;
  connections: Promise<OpenConnection[]>;
}

// Per database handle, so two hubs in one process (tests) never share an entry.
const caches = new WeakMap<Db, Map<string, Entry>>();

/**
 * A provider's active connections with their credentials opened, read again when older
 * than ACTIVE_CONNECTIONS_MAX_AGE_MS or after forgetActiveConnections.
 *
 * @example const connections = await cachedActiveConnections(ctx, 'hubspot');
 */
export function cachedActiveConnections(ctx: Pick<HubContext, 'db' | 'secrets'>, provider: string, now: number = Date.now()): Promise<OpenConnection[]> {
  let cache = caches.get(ctx.db);
  if (!cache) caches.set(ctx.db, (cache = new Map()));
  const hit = cache.get(provider);
  if (hit && now - hit.at < ACTIVE_CONNECTIONS_MAX_AGE_MS) return hit.connections;
  const connections = activeConnections(ctx, provider);
  const entry = { at: now, connections };
  cache.set(provider, entry);
  // A failed read is not kept: the next request reads again.
  connections.catch(() => {
    if (cache.get(provider) === entry) cache.delete(provider);
  });
  return connections;
}

/** Forgets what cachedActiveConnections holds for this database: call after any change to a connection. */
export function forgetActiveConnections(db: Db): void {
  caches.delete(db);
}
