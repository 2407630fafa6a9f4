import type { HubContext } from '../../context.ts';
import { activeConnections, type OpenConnection } from '../../db/connection-secrets.ts';

export type HubSpotConnection = OpenConnection;

/** Active HubSpot connections with their credentials opened. */
export function activeHubSpotConnections(ctx: Pick<HubContext, 'db' | 'secrets'>): Promise<HubSpotConnection[]> {
  return activeConnections(ctx, 'hubspot');
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
