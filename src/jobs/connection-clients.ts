import type Bottleneck from 'bottleneck';
import { createLimiter, type VendorLimits } from '../connectors/http/limits.ts';
import { updateConnectionSecret } from '../db/connection-secrets.ts';
import type { HubContext } from '../context.ts';

/** What a client is built from: the connection's settings and its opened credentials. */
export interface OpenedConnection {
  id: string;
  provider: string;
  settings: Record<string, string | number | boolean | undefined>;
  credentials: Record<string, string>;
  /** Persists credentials the vendor rotated; this process's client stays current with them. */
  storeRotated(changes: Record<string, string>): Promise<void>;
}

interface Entry<T> {
  client: T;
  settings: string;
  /** Sealed credentials this client is current with: as opened, and as it stored them after a rotation. */
  sealed: Set<string>;
}

/**
 * One client per connection per process, rebuilt when the connection changes. Each use
 * reads the connection's row (one primary-key lookup: an edited connection takes effect
 * on the next job, in every process, with nothing to invalidate), but opens the
 * credentials and builds a client only when its settings or sealed credentials are not
 * the ones the current client has. A refresh token the client itself rotated is
 * recorded before it is stored, so a rotation does not make a second client that would
 * refresh again with a token the first one may already have spent.
 */
export class ConnectionClients<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #provider: string;
  readonly #build: (connection: OpenedConnection, ctx: HubContext) => T;

  constructor(provider: string, build: (connection: OpenedConnection, ctx: HubContext) => T) {
    this.#provider = provider;
    this.#build = build;
  }

  async get(ctx: HubContext, connectionId: string): Promise<T> {
    const row = await ctx.db.selectFrom('connections').select(['provider', 'settings', 'credentials_encrypted']).where('id', '=', connectionId).executeTakeFirst();
    if (!row) throw new Error(`connection ${connectionId} does not exist`);
    if (row.provider !== this.#provider) throw new Error(`connection ${connectionId} is a ${row.provider} connection, not ${this.#provider}`);
    const settings = JSON.stringify(row.settings);
    const known = this.#entries.get(connectionId);
    if (known && known.settings === settings && known.sealed.has(row.credentials_encrypted)) return known.client;

    const entry = { settings, sealed: new Set([row.credentials_encrypted]) } as Entry<T>;
    entry.client = this.#build(
      {
        id: connectionId,
        provider: row.provider,
        settings: row.settings as OpenedConnection['settings'],
        credentials: ctx.secrets.openJson<Record<string, string>>(row.credentials_encrypted, connectionId),
        storeRotated: (changes) => updateConnectionSecret(ctx, connectionId, changes, (sealed) => entry.sealed.add(sealed)),
      },
      ctx,
    );
    this.#entries.set(connectionId, entry);
    return entry.client;
  }
}

const limiters = new Map<string, { limiter: Bottleneck; limits: string }>();

/**
 * The limiter of one vendor budget (a connection, or an account several connections
 * share), kept across the clients that come and go for it: the vendor counts requests
 * per budget, not per client. New limits make a new limiter.
 */
export function limiterOf(key: string, limits: VendorLimits): Bottleneck {
  const wanted = JSON.stringify(limits);
  const known = limiters.get(key);
  if (known && known.limits === wanted) return known.limiter;
  const limiter = createLimiter(limits);
  limiters.set(key, { limiter, limits: wanted });
  return limiter;
}
