import { sql, type Kysely } from 'kysely';

// Field mappings as data: which vendor field feeds which canonical field, per connection
// and object type, versioned so every sync can say which version it used.
//
// - `field_mappings`: one row per version of a connection's mapping of one object type
//   (e.g. the HubSpot `deal`). The highest version is in force; a rollback adds a new
//   version copying an older one (`copied_from`), so history only grows. Version 0 is the
//   connector's built-in default and is never stored.
// - `quotes.mapping_version`: the version a quote-to-cash run used (0: the built-in
//   default); `quotes.mapping_source`: the record the mapping read, so a draft can be
//   previewed against real deals without calling the CRM.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table field_mappings (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      object text not null,
      version integer not null check (version > 0),
      rules jsonb not null,
      reason text not null check (length(trim(reason)) > 0),
      copied_from integer,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint field_mappings_version_key unique (connection_id, object, version)
    );
    create trigger field_mappings_updated_at before update on field_mappings for each row execute function set_updated_at();

    alter table quotes add column mapping_version integer not null default 0;
    alter table quotes add column mapping_source jsonb;
  `.execute(db);
}
