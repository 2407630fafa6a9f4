import { NetSuiteClient } from '../../connectors/netsuite/client.ts';
import { netsuiteDeclaration, netsuiteRealm } from '../../connectors/netsuite/declaration.ts';
import type { HubContext } from '../../context.ts';
import { ConnectionClients, limiterOf } from '../connection-clients.ts';

export interface NetSuiteConnection {
  client: NetSuiteClient;
  /** OneWorld accounts: the subsidiary the hub's customers, invoices and journals belong to. */
  subsidiaryId: string | null;
}

// One client per connection per process, and one limiter per NetSuite account: its
// concurrency limit is the account's, shared by every connection and integration that reaches it.
const clients = new ConnectionClients<NetSuiteConnection>('netsuite', ({ id, settings, credentials }) => {
  if (!settings.accountId) throw new Error(`NetSuite connection ${id} has no accountId setting (the account to post to, e.g. 1234567 or 1234567_SB1)`);
  const concurrency = Number(settings.concurrencyLimit);
  const client = new NetSuiteClient({
    credentials: {
      accountId: String(settings.accountId),
      consumerKey: credentials.consumerKey!,
      consumerSecret: credentials.consumerSecret!,
      tokenId: credentials.tokenId!,
      tokenSecret: credentials.tokenSecret!,
    },
    ...(settings.baseUrl ? { baseUrl: String(settings.baseUrl) } : {}),
    limiter: limiterOf(`netsuite:${netsuiteRealm(String(settings.accountId))}`, {
      maxConcurrent: Number.isInteger(concurrency) && concurrency > 0 ? concurrency : netsuiteDeclaration.limits.maxConcurrent,
    }),
  });
  return { client, subsidiaryId: settings.subsidiaryId ? String(settings.subsidiaryId) : null };
});

/** The NetSuite client of a stored connection: account, token-based auth, the account's concurrency limit. */
export function netsuiteClientFor(ctx: HubContext, connectionId: string): Promise<NetSuiteConnection> {
  return clients.get(ctx, connectionId);
}
