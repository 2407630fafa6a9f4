import { sql, type Kysely } from 'kysely';

// GDPR erasure runs as a job (gdpr:erase) instead of inside the request: the request records
// an `erasures` row as pending and answers 202; the job erases in one transaction and marks
// it done. A crash mid-erasure rolls the whole erasure back and the retried job starts over.
// Erasures recorded before this migration ran inside their request, so they are done.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table erasures
      add column status text not null default 'done' check (status in ('pending', 'done')),
      add column completed_at timestamptz,
      add column attempts integer not null default 0,
      add column last_error text;
    update erasures set completed_at = created_at;
    alter table erasures alter column status set default 'pending';
    create unique index erasures_one_pending_idx on erasures (customer_id) where status = 'pending';
    create trigger erasures_updated_at before update on erasures for each row execute function set_updated_at();
  `.execute(db);
}
