import type Bottleneck from 'bottleneck';
import { createLimiter } from '../../connectors/http/limits.ts';
import { QuickBooksPostingClient } from '../../connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../../connectors/quickbooks/declaration.ts';
import { loadConnectionSecrets, updateConnectionSecret } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter and one client per connection per process: QuickBooks' limits are per
// realm, and a refresh may rotate the refresh token, so two clients refreshing in
// parallel could leave a dead one stored. New settings make a new client.
const clients = new Map<string, { client: QuickBooksPostingClient; limiter: Bottleneck; settings: string }>();

/** The QuickBooks client of a stored connection: realm, endpoint, limiter, rotated refresh token persisted. */
export async function quickbooksClientFor(ctx: HubContext, connectionId: string): Promise<QuickBooksPostingClient> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  const cached = clients.get(connectionId);
  if (cached && cached.settings === JSON.stringify(row.settings)) return cached.client;
  if (row.provider !== 'quickbooks') throw new Error(`connection ${connectionId} is a ${row.provider} connection, not quickbooks`);
  const settings = row.settings as Record<string, string | number | undefined>;
  if (!settings.realmId) throw new Error(`QuickBooks connection ${connectionId} has no realmId setting (the company to post to)`);
  const perMinute = Number(settings.requestsPerMinute);
  const limiter = createLimiter({
    requestsPerMinute: Number.isFinite(perMinute) && perMinute > 0 ? perMinute : quickbooksDeclaration.limits.requestsPerMinute,
    maxConcurrent: quickbooksDeclaration.limits.maxConcurrent,
  });
  const client = new QuickBooksPostingClient({
    credentials: { clientId: credentials.clientId!, clientSecret: credentials.clientSecret!, refreshToken: credentials.refreshToken! },
    realmId: String(settings.realmId),
    ...(settings.endpoint ? { endpoint: `${String(settings.endpoint).replace(/\/+$/, '')}/` } : {}),
    ...(settings.tokenUrl ? { tokenUrl: String(settings.tokenUrl) } : {}),
    limiter,
    onRefreshToken: (refreshToken) => updateConnectionSecret(ctx, connectionId, { refreshToken }),
  });
  clients.set(connectionId, { client, limiter, settings: JSON.stringify(row.settings) });
  return client;
}
