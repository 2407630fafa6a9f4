import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './types.ts';
import { scopedPool } from './customer-scope.ts';

// DATE columns hold calendar days (billing periods, usage dates): keep them as
// 'YYYY-MM-DD' strings instead of letting pg shift them into a local-time Date.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
// bigint counts and sequence numbers fit comfortably in a JS number here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** One pool per process, shared by Kysely and graphile-worker. */
export function openDatabase(url: string, options: { max?: number; onError?: (err: Error) => void } = {}): DatabaseHandle {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client losing its connection (database restart) must not crash the process;
  // the next query gets a fresh connection.
  pool.on('error', (err) => options.onError?.(err));
  pool.on('connect', (client) => client.on('error', (err) => options.onError?.(err)));
  // Kysely draws from the pool through the customer scope, so a portal request's queries run confined (customer-scope.ts).
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: scopedPool(pool) }) });
  return {
    db,
    pool,
    close: async () => {
      await db.destroy(); // ends the pool too
    },
  };
}

/**
 * A Kysely bound to one already-checked-out client, so typed queries join the raw
 * client's open transaction (COPY needs the raw client; cursors and counters must
 * commit with the rows they describe).
 */
export function kyselyOnClient(client: pg.PoolClient): Db {
  const borrowed = { query: client.query.bind(client), release: () => {} };
  const pool = { connect: async () => borrowed, end: async () => {} } as unknown as pg.Pool;
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
