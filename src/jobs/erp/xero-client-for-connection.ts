import type Bottleneck from 'bottleneck';
import { createLimiter } from '../../connectors/http/limits.ts';
import { XeroPostingClient } from '../../connectors/xero/client.ts';
import { xeroDeclaration } from '../../connectors/xero/declaration.ts';
import { loadConnectionSecrets, updateConnectionSecret } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter and one client per connection per process: Xero's limits are per
// organisation, and its refresh token is single use, so two clients refreshing in
// parallel would kill each other's token.
// A change of the connection's settings (another tenant, a sandbox URL) makes a new client.
const clients = new Map<string, { client: XeroPostingClient; limiter: Bottleneck; settings: string }>();

/** The Xero client of a stored connection: tenant, base URLs, limiter, rotated refresh token persisted. */
export async function xeroClientFor(ctx: HubContext, connectionId: string, onRetry?: (status: number, waitMs: number) => void): Promise<XeroPostingClient> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  const cached = clients.get(connectionId);
  if (cached && cached.settings === JSON.stringify(row.settings)) return cached.client;
  if (row.provider !== 'xero') throw new Error(`connection ${connectionId} is a ${row.provider} connection, not xero`);
  const settings = row.settings as Record<string, string | number | undefined>;
  if (!settings.tenantId) throw new Error(`Xero connection ${connectionId} has no tenantId setting (the organisation to post to)`);
  const perMinute = Number(settings.requestsPerMinute);
  const limiter = createLimiter({
    requestsPerMinute: Number.isFinite(perMinute) && perMinute > 0 ? perMinute : xeroDeclaration.limits.requestsPerMinute,
    maxConcurrent: xeroDeclaration.limits.maxConcurrent,
  });
  const client = new XeroPostingClient({
    credentials: { clientId: credentials.clientId!, clientSecret: credentials.clientSecret!, refreshToken: credentials.refreshToken! },
    tenantId: String(settings.tenantId),
    ...(settings.apiUrl ? { apiUrl: String(settings.apiUrl).replace(/\/+$/, '') } : {}),
    ...(settings.tokenUrl ? { tokenUrl: String(settings.tokenUrl) } : {}),
    limiter,
    onRefreshToken: (refreshToken) => updateConnectionSecret(ctx, connectionId, { refreshToken }),
    ...(onRetry ? { onRetry } : {}),
  });
  clients.set(connectionId, { client, limiter, settings: JSON.stringify(row.settings) });
  return client;
}
