import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/** The database role a client's portal request runs as; row-level security applies to it (migrations/0019). */
export const PORTAL_ROLE = 'hub_portal';

interface Scope {
  pool: pg.Pool;
  client: pg.PoolClient;
  borrowed?: PostgresPoolClient;
}

const active = new AsyncLocalStorage<Scope>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// Statements that would end the scope's transaction (and with it SET LOCAL ROLE) or change
// its role or settings: refused inside a scope rather than letting later queries run as the owner.
const SCOPE_BREAKING = /^\s*(begin|start|commit|end|rollback|abort|savepoint|release|prepare|set\s+(session\s+)?(role|session)|reset|discard)\b/i;

/**
 * Run `fn` with every query that the pool's Kysely (see `scopedPool`) issues confined to one
 * customer by PostgreSQL itself: one read-only transaction as `hub_portal`, with
 * `hub.customer_id` set for the transaction, so row-level security shows that customer's
 * rows only, however a query is written. The transaction ends with `fn`.
 *
 * @example
 * const invoices = await asCustomer(pool, customerId, () => db.selectFrom('invoices').selectAll().execute());
 */
export async function asCustomer<T>(pool: pg.Pool, customerId: string, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // One round trip for the three statements (a simple query takes no parameters: the id is checked to be a UUID).
    if (!UUID.test(customerId)) throw new TypeError(`not a customer id: ${customerId}`);
    await client.query(`begin read only; set local role ${PORTAL_ROLE}; select set_config('hub.customer_id', '${customerId}', true)`);
    const result = await active.run({ pool, client }, fn);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    // A connection whose rollback failed may still carry the role: drop it rather than reuse it.
    client.release(broken);
  }
}

/**
 * The pool Kysely draws connections from: inside `asCustomer` for this pool, the scope's
 * one connection (whose release is the scope's business); otherwise the pool itself.
 */
export function scopedPool(pool: pg.Pool): PostgresPool {
  return {
    Client: (pool as unknown as { Client: PostgresPool['Client'] }).Client,
    options: pool.options,
    connect: async (): Promise<PostgresPoolClient> => {
      const scope = active.getStore();
      if (!scope || scope.pool !== pool) return pool.connect() as unknown as Promise<PostgresPoolClient>;
      scope.borrowed ??= borrow(scope.client);
      return scope.borrowed;
    },
    end: () => pool.end(),
  };
}

/** The scope's connection as Kysely sees it: refusing what would break the scope, never released by Kysely. */
function borrow(client: pg.PoolClient): PostgresPoolClient {
  const query = (text: unknown, ...rest: unknown[]) => {
    if (typeof text === 'string' && SCOPE_BREAKING.test(text)) {
      const verb = text.trim().split(/\s+/)[0];
      return Promise.reject(new Error(`a portal request runs in one read-only transaction confined to its customer; "${verb}" is refused inside it`));
    }
    return (client.query as (...args: unknown[]) => unknown)(text, ...rest);
  };
  return { query: query as PostgresPoolClient['query'], processID: (client as { processID?: number }).processID, release: () => {} } as PostgresPoolClient;
}
