import { sql, type Kysely } from 'kysely';

// When each chunk of an uploaded file was stored, so an hourly sweep can delete the
// chunks of uploads that never became an import (the process died mid-upload).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table import_uploads add column stored_at timestamptz not null default now()`.execute(db);
}

