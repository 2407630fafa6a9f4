import { kyselyOnClient, type DatabaseHandle, type Db } from '../../src/db/database.ts';
import { dropStagedUsage, loadUsageGroups, type UsageGroups } from '../../src/db/usage-groups.ts';

/** Group a customer's period usage on one connection, as a close without a run's groups does, and run `fn` on that connection. */
export async function withUsageGroups<T>(database: DatabaseHandle, customerId: string, period: string, currency: string, rateDates: readonly string[], fn: (db: Db, usage: UsageGroups) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  try {
    const db = kyselyOnClient(client);
    try {
      return await fn(db, await loadUsageGroups(db, customerId, period, currency, rateDates));
    } finally {
      await dropStagedUsage(db);
    }
  } finally {
    client.release();
  }
}
