import { sql, type Kysely } from 'kysely';

// GDAP consent review: the relationships Microsoft Graph lists per connection, and on each
// customer's consent row the verdict drawn from them (src/engine/consent.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table gdap_relationships (
      connection_id uuid not null references connections (id),
      relationship_id text not null,
      customer_tenant_id text not null,
      -- The hub customer linked to the tenant, when the hub knows it.
      customer_id uuid references customers (id),
      display_name text,
      status text not null,
      duration text,
      auto_extend_duration text,
      activated_at timestamptz,
      end_at timestamptz,
      -- Roles the customer granted (accessDetails) and those active access assignments give the partner.
      roles text[] not null default '{}',
      assigned_roles text[] not null default '{}',
      seen_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (connection_id, relationship_id)
    );
    create index gdap_relationships_tenant_idx on gdap_relationships (connection_id, customer_tenant_id);
    create trigger gdap_relationships_updated_at before update on gdap_relationships for each row execute function set_updated_at();
    -- Customer-owned: isolated like every other (migrations/0019), though no client reads it.
    alter table gdap_relationships enable row level security;
    create policy customer_isolation on gdap_relationships to hub_portal using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id());

    alter table consents
      add column gdap_state text check (gdap_state in ('active', 'expiring', 'expired', 'missing_roles', 'no_relationship')),
      add column relationship_id text,
      add column expires_at timestamptz,
      add column auto_extends boolean not null default false,
      add column missing_roles text[] not null default '{}',
      add column gdap_reason text,
      add column checked_at timestamptz,
      -- The smallest expiry threshold (30, 7, 1 days) already alerted for expires_at.
      add column expiry_alerted_days integer;
  `.execute(db);
}
