import { XeroPostingClient } from '../../connectors/xero/client.ts';
import { xeroDeclaration } from '../../connectors/xero/declaration.ts';
import type { HubContext } from '../../context.ts';
import { ConnectionClients, limiterOf } from '../connection-clients.ts';

// One client per connection per process: Xero's refresh token is single use, so two
// clients refreshing in parallel would kill each other's token. One limiter per
// connection: Xero's limits are per organisation.
const clients = new ConnectionClients('xero', ({ id, settings, credentials, storeRotated }) => {
  if (!settings.tenantId) throw new Error(`Xero connection ${id} has no tenantId setting (the organisation to post to)`);
  const perMinute = Number(settings.requestsPerMinute);
  return new XeroPostingClient({
    credentials: { clientId: credentials.clientId!, clientSecret: credentials.clientSecret!, refreshToken: credentials.refreshToken! },
    tenantId: String(settings.tenantId),
    ...(settings.apiUrl ? { apiUrl: String(settings.apiUrl).replace(/\/+$/, '') } : {}),
    ...(settings.tokenUrl ? { tokenUrl: String(settings.tokenUrl) } : {}),
    limiter: limiterOf(`xero:${id}`, {
      requestsPerMinute: Number.isFinite(perMinute) && perMinute > 0 ? perMinute : xeroDeclaration.limits.requestsPerMinute,
      maxConcurrent: xeroDeclaration.limits.maxConcurrent,
    }),
    onRefreshToken: (refreshToken) => storeRotated({ refreshToken }),
  });
});

/** The Xero client of a stored connection: tenant, base URLs, limiter, rotated refresh token persisted. */
export function xeroClientFor(ctx: HubContext, connectionId: string): Promise<XeroPostingClient> {
  return clients.get(ctx, connectionId);
}
