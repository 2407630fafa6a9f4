import { sql, type Kysely } from 'kysely';

// Tag compliance: the share of a customer's Azure cost carrying the tags it must carry.
//
// - `customers.required_tags`: the tag keys each usage line must carry (non-blank value,
//   key compared case-insensitively). null = not set: the close defaults to the tag keys
//   the customer's allocation rules match on. An empty array = nothing required.
// - `billing_run_customers.tag_compliance`: what the close found, per customer and run:
//   { requiredTags, source, currency, totalCost, compliantCost, share, nonCompliantLines }
//   (figures are decimal strings; the offending line ids are not stored, only their count).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table customers add column required_tags text[]
      check (required_tags is null or array_position(required_tags, null) is null);
    alter table billing_run_customers add column tag_compliance jsonb;
  `.execute(db);
}
