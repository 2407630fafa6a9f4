import { sql, type Kysely } from 'kysely';

// File imports run as jobs. The request streams the file into `import_uploads` (chunks
// of about a megabyte, in order), registers the import as `queued` and enqueues a job,
// which reads the chunks back, imports the lines and deletes the chunks. PostgreSQL holds
// the file so any worker process can read it, whichever API process received it.
// `expected_rows` is the data rows counted as the file arrived (progress is rows_total of it);
// `create_customers` says whether unknown CustomerIds become customers or rejected rows.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table imports drop constraint imports_status_check;
    alter table imports add constraint imports_status_check check (status in ('queued', 'running', 'completed', 'failed'));
    alter table imports
      add column create_customers boolean not null default true,
      add column bytes bigint,
      add column expected_rows integer;
    create table import_uploads (
      import_id uuid not null,
      seq integer not null,
      bytes bytea not null,
      primary key (import_id, seq)
    );
  `.execute(db);
}
