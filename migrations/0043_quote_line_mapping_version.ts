import { sql, type Kysely } from 'kysely';

// HubSpot line items map through a field mapping of their own (object `line_item`), so
// a quote records which version of it made its lines, as it records the deal mapping's.
// A column of `quotes`, which already carries its row-level security policy.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table quotes add column line_mapping_version integer not null default 0`.execute(db);
}
