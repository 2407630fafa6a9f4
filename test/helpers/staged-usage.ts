import { kyselyOnClient, type DatabaseHandle, type Db } from '../../src/db/database.ts';
import { dropStagedUsage, stageUsageGroups } from '../../src/db/usage-groups.ts';

/** Group a customer's period usage on one connection (as the close does) and run `fn` on that connection. */
export async function withStagedUsage<T>(database: DatabaseHandle, customerId: string, period: string, rateDates: readonly string[], fn: (db: Db) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    const db = kyselyOnClient(client);
    await stageUsageGroups(db, customerId, period, rateDates);
    try {
      return await fn(db);
    } finally {
      await dropStagedUsage(db);
    }
  } finally {
    client.release();
  }
}
