import type { HubContext } from '../../context.ts';

export interface HubSpotConnection {
  id: string;
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
}

/** Active HubSpot connections with their credentials opened. */
export async function activeHubSpotConnections(ctx: Pick<HubContext, 'db' | 'secrets'>): Promise<HubSpotConnection[]> {
  const rows = await ctx.db.selectFrom('connections').selectAll().where('provider', '=', 'hubspot').where('status', '=', 'active').orderBy('created_at').execute();
  return rows.map((row) => ({
    id: row.id,
    settings: row.settings as Record<string, unknown>,
    credentials: ctx.secrets.openJson<Record<string, string>>(row.credentials_encrypted, row.id),
  }));
}

/**
 * The connection a portal's events belong to: the one whose `portalId` setting names it,
 * else one that names no portal. Undefined when the portal is not connected.
 */
export function connectionForPortal<T extends { settings: Record<string, unknown> }>(connections: T[], portalId: number): T | undefined {
  return (
    connections.find((c) => c.settings.portalId !== undefined && String(c.settings.portalId) === String(portalId)) ??
    connections.find((c) => c.settings.portalId === undefined)
  );
}
