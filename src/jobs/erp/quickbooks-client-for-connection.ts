import { QuickBooksPostingClient } from '../../connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../../connectors/quickbooks/declaration.ts';
import type { HubContext } from '../../context.ts';
import { ConnectionClients, limiterOf } from '../connection-clients.ts';

// One client per connection per process: a refresh may rotate the refresh token, so two
// clients refreshing in parallel could leave a dead one stored. One limiter per
// connection: QuickBooks' limits are per realm.
const clients = new ConnectionClients('quickbooks', ({ id, settings, credentials, storeRotated }) => {
  if (!settings.realmId) throw new Error(`QuickBooks connection ${id} has no realmId setting (the company to post to)`);
  const perMinute = Number(settings.requestsPerMinute);
  return new QuickBooksPostingClient({
    credentials: { clientId: credentials.clientId!, clientSecret: credentials.clientSecret!, refreshToken: credentials.refreshToken! },
    realmId: String(settings.realmId),
    ...(settings.endpoint ? { endpoint: `${String(settings.endpoint).replace(/\/+$/, '')}/` } : {}),
    ...(settings.tokenUrl ? { tokenUrl: String(settings.tokenUrl) } : {}),
    limiter: limiterOf(`quickbooks:${id}`, {
      requestsPerMinute: Number.isFinite(perMinute) && perMinute > 0 ? perMinute : quickbooksDeclaration.limits.requestsPerMinute,
      maxConcurrent: quickbooksDeclaration.limits.maxConcurrent,
    }),
    onRefreshToken: (refreshToken) => storeRotated({ refreshToken }),
  });
});

/** The QuickBooks client of a stored connection: realm, endpoint, limiter, rotated refresh token persisted. */
export function quickbooksClientFor(ctx: HubContext, connectionId: string): Promise<QuickBooksPostingClient> {
  return clients.get(ctx, connectionId);
}
