import { sql, type Kysely } from 'kysely';

// Counters of processes that serve no /metrics of their own (a `hub worker`): each writes
// its running totals here, one row per process and label set, and the API adds them to
// its own when scraped (src/metrics/counter-flush.ts). No customer data: no isolation policy.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table process_counters (
      process_id text not null,
      metric text not null,
      labels jsonb not null,
      value double precision not null check (value >= 0),
      updated_at timestamptz not null default now(),
      primary key (process_id, metric, labels)
    )`.execute(db);
}
