import type { Selectable } from 'kysely';
import type { HubContext } from '../context.ts';
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
