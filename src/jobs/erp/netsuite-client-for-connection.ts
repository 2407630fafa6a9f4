import { createHash } from 'node:crypto';
import type Bottleneck from 'bottleneck';
import { createLimiter } from '../../connectors/http/limits.ts';
import { NetSuiteClient } from '../../connectors/netsuite/client.ts';
import { netsuiteDeclaration, netsuiteRealm } from '../../connectors/netsuite/declaration.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

export interface NetSuiteConnection {
  client: NetSuiteClient;
  /** OneWorld accounts: the subsidiary the hub's customers, invoices and journals belong to. */
  subsidiaryId: string | null;
}

// One client per connection per process (new settings or tokens make a new one), and one
// limiter per NetSuite account: its concurrency limit is the account's, shared by every
// connection and integration that reaches it.
const clients = new Map<string, { connection: NetSuiteConnection; version: string }>();
const limiters = new Map<string, { limiter: Bottleneck; maxConcurrent: number }>();

function accountLimiter(accountId: string, maxConcurrent: number): Bottleneck {
  const key = netsuiteRealm(accountId);
  const known = limiters.get(key);
  if (known && known.maxConcurrent === maxConcurrent) return known.limiter;
  const limiter = createLimiter({ maxConcurrent });
  limiters.set(key, { limiter, maxConcurrent });
  return limiter;
}

/** The NetSuite client of a stored connection: account, token-based auth, the account's concurrency limit. */
export async function netsuiteClientFor(ctx: HubContext, connectionId: string): Promise<NetSuiteConnection> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  const version = createHash('sha256').update(JSON.stringify(row.settings)).update(row.credentials_encrypted).digest('hex');
  const cached = clients.get(connectionId);
  if (cached && cached.version === version) return cached.connection;
  if (row.provider !== 'netsuite') throw new Error(`connection ${connectionId} is a ${row.provider} connection, not netsuite`);
  const settings = row.settings as Record<string, string | number | boolean | undefined>;
  if (!settings.accountId) throw new Error(`NetSuite connection ${connectionId} has no accountId setting (the account to post to, e.g. 1234567 or 1234567_SB1)`);
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
    limiter: accountLimiter(String(settings.accountId), Number.isInteger(concurrency) && concurrency > 0 ? concurrency : netsuiteDeclaration.limits.maxConcurrent),
  });
  const connection = {
    client,
    subsidiaryId: settings.subsidiaryId ? String(settings.subsidiaryId) : null,
  };
  clients.set(connectionId, { connection, version });
  return connection;
}
