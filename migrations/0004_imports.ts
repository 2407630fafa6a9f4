import { sql, type Kysely } from 'kysely';

// File imports (Partner Center portal reconciliation files) and the late-line queue.
//
// - `imports` records progress as it goes: a large file lands in batches, each its own
//   transaction, so an interrupted import shows what got in (status stays 'running' or
//   becomes 'failed'). `error_count` counts every row problem; `errors` keeps the first 1,000.
// - `picked_up_by_run` marks a late line (stored for a closed period) as taken into a
//   later close's adjustments. No foreign key yet: billing_runs arrives with the close job,
//   whose migration can add it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table imports
      add column status text not null default 'completed' check (status in ('running', 'completed', 'failed')),
      add column rows_total integer not null default 0,
      add column error_count integer not null default 0,
      add column failure text,
      add column finished_at timestamptz;
    alter table imports alter column status set default 'running';
    create index imports_created_at_idx on imports (created_at desc, id desc);
    create trigger imports_updated_at before update on imports for each row execute function set_updated_at();

    alter table usage_lines add column picked_up_by_run uuid;
    alter table license_lines add column picked_up_by_run uuid;
    create index usage_lines_late_pending_idx on usage_lines (late_detected_at) where late and picked_up_by_run is null;
    create index license_lines_late_pending_idx on license_lines (late_detected_at) where late and picked_up_by_run is null;
  `.execute(db);
}
