import { sql, type Kysely } from 'kysely';

// How many usage lines a billing run staged per customer (src/db/run-usage-stage.ts): the
// staged copies are unlogged and come back empty after a PostgreSQL crash, so a close
// compares its copy with this logged count before it trusts it. Rows go with their run.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table close_run_stage_counts (
      billing_run_id uuid not null references billing_runs (id) on delete cascade,
      customer_id uuid not null references customers (id),
      line_count bigint not null check (line_count >= 0),
      primary key (billing_run_id, customer_id)
    )`.execute(db);
  await sql`alter table close_run_stage_counts enable row level security`.execute(db);
  await sql`create policy customer_isolation on close_run_stage_counts to hub_portal
    using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id())`.execute(db);
}
