import { sql, type Kysely } from 'kysely';

// An Azure budget alert of a quote is raised once per customer, period and threshold,
// however many syncs and closes check it: the index makes a second insert a no-op, also
// when two checks run at the same time.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create unique index alerts_quote_budget_once_idx on alerts (customer_id, (detail ->> 'period'), (detail ->> 'thresholdPercent'))
      where kind = 'quote.azure_budget'
  `.execute(db);
}
