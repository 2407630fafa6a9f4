import { sql, type Kysely } from 'kysely';

// Row-level security for the customer-owned tables created after 0019_client_isolation
// (see its notes): invoice adjustments and deliveries, anomalies, anomaly thresholds and
// erasures are a customer's rows. No
// grant to hub_portal: no portal route reads them, so a client is refused them outright.
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['invoice_adjustments', 'invoice_deliveries', 'anomalies', 'anomaly_thresholds', 'erasures']) {
    await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
    await sql`create policy customer_isolation on ${sql.table(table)} to hub_portal
      using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id())`.execute(db);
  }
}
