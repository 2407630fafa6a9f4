import { sql, type Kysely } from 'kysely';

// Licence assignment per customer and SKU, one snapshot a day, as Microsoft Graph's
// `subscribedSkus` reports it in the customer's tenant (read through GDAP): seats bought
// and enabled (`prepaidUnits.enabled`) and assigned (`consumedUnits`). The unassigned-licence
// and low-utilisation anomaly rules read runs of these days. A day's second read replaces its
// first. A customer's rows: row-level security like 0025, and no grant to hub_portal.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table licence_snapshots (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      connection_id uuid references connections (id),
      sku_id text not null,
      sku_part_number text not null,
      observed_on date not null,
      enabled integer not null check (enabled >= 0),
      consumed integer not null check (consumed >= 0),
      suspended integer not null default 0 check (suspended >= 0),
      warning integer not null default 0 check (warning >= 0),
      capability_status text not null,
      applies_to text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint licence_snapshots_day_key unique (customer_id, sku_id, observed_on)
    );
    create trigger licence_snapshots_updated_at before update on licence_snapshots for each row execute function set_updated_at();
    alter table licence_snapshots enable row level security;
    create policy customer_isolation on licence_snapshots to hub_portal
      using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id());
  `.execute(db);
}
