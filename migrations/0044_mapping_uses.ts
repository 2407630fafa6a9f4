import { sql, type Kysely } from 'kysely';

// Which version of a connection's field mapping a sync used, for syncs whose records are
// not quotes (quotes keep their versions in columns of their own). One row per
// connection, object and version: when it was first and last used and how many records
// it mapped. Connection-level, no customer's rows, so no row-level security policy.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table mapping_uses (
      connection_id uuid not null references connections (id),
      object text not null,
      version integer not null check (version >= 0),
      records bigint not null default 0 check (records >= 0),
      first_used_at timestamptz not null default now(),
      last_used_at timestamptz not null default now(),
      primary key (connection_id, object, version)
    )
  `.execute(db);
}
