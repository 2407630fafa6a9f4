import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Notes that a sync mapped `records` records of an object with a mapping version, in
 * the transaction that stores them, so the record of the version and the data agree.
 */
export async function recordMappingUse(db: Db, use: { connectionId: string; object: string; version: number; records: number }): Promise<void> {
  await db
    .insertInto('mapping_uses')
    .values({ connection_id: use.connectionId, object: use.object, version: use.version, records: use.records })
    .onConflict((oc) => oc.columns(['connection_id', 'object', 'version']).doUpdateSet({ records: sql`mapping_uses.records + excluded.records`, last_used_at: sql`now()` }))
    .execute();
}
