import Bottleneck from 'bottleneck';
import { AutotaskClient, type AutotaskCredentials } from '../../connectors/autotask/client.ts';
import { autotaskDeclaration } from '../../connectors/autotask/declaration.ts';
import { discoverZone } from '../../connectors/autotask/zone.ts';
import { createLimiter } from '../../connectors/http/limits.ts';
import type { RetryEvent } from '../../connectors/http/types.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';
import { readCursor, writeCursor } from '../partner-center/run-progress.ts';

/** Where the zone found for a connection is kept: looked up once, not before every job. */
export const ZONE_SCOPE = 'autotask:zone';

interface CachedZone {
  username: string;
  zoneName: string;
  apiUrl: string;
}

// Per connection and process: the database's hourly budget, and one limiter per object
// endpoint (3 in flight) chained to it, shared by every job of the connection.
const databases = new Map<string, { budget: number; limiter: Bottleneck }>();
const endpoints = new Map<string, Bottleneck>();

function limiterFor(connectionId: string, budgetPerHour: number): (entity: string) => Bottleneck {
  let database = databases.get(connectionId);
  if (!database || database.budget !== budgetPerHour) {
    database = { budget: budgetPerHour, limiter: createLimiter({ requestsPerMinute: budgetPerHour / 60 }) };
    databases.set(connectionId, database);
    for (const key of [...endpoints.keys()]) if (key.startsWith(`${connectionId}|`)) endpoints.delete(key);
  }
  const shared = database.limiter;
  return (entity) => {
    const key = `${connectionId}|${entity.toLowerCase()}`;
    let limiter = endpoints.get(key);
    if (!limiter) {
      limiter = new Bottleneck({ maxConcurrent: autotaskDeclaration.limits.threadsPerEndpoint });
      limiter.chain(shared);
      endpoints.set(key, limiter);
    }
    return limiter;
  };
}

export interface AutotaskClientFor {
  client: AutotaskClient;
  connection: { id: string; settings: Record<string, unknown>; zone: CachedZone };
}

/** The connection's zone: cached with the connection, discovered again only when the API user changes. */
async function zoneOf(ctx: HubContext, connectionId: string, username: string, settings: Record<string, unknown>): Promise<CachedZone> {
  const cached = await readCursor<CachedZone>(ctx.db, connectionId, ZONE_SCOPE);
  if (cached && cached.username === username) return cached;
  const zoneInformationUrl = typeof settings.zoneInformationUrl === 'string' && settings.zoneInformationUrl ? settings.zoneInformationUrl : undefined;
  const zone = await discoverZone(username, zoneInformationUrl ? { zoneInformationUrl } : {});
  const found: CachedZone = { username, zoneName: zone.zoneName, apiUrl: zone.apiUrl };
  await writeCursor(ctx.db, connectionId, ZONE_SCOPE, found);
  return found;
}

/** An Autotask client for a stored connection: its credentials, zone and limits. */
export async function autotaskClientFor(ctx: HubContext, connectionId: string, options: { onRetry?: (event: RetryEvent) => void; sleep?: (ms: number) => Promise<void> } = {}): Promise<AutotaskClientFor> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  if (row.provider !== autotaskDeclaration.vendor) throw new Error(`connection ${connectionId} is a ${row.provider} connection, not autotask`);
  const settings = row.settings as Record<string, unknown>;
  const creds = credentials as unknown as AutotaskCredentials;
  const zone = await zoneOf(ctx, connectionId, creds.username, settings);
  const override = Number(settings.requestsPerHour);
  const budget = Number.isFinite(override) && override > 0 ? override : autotaskDeclaration.limits.requestsPerHour;
  const client = new AutotaskClient({ credentials: creds, baseUrl: zone.apiUrl, limiterFor: limiterFor(connectionId, budget), ...options });
  return { client, connection: { id: row.id, settings, zone } };
}
