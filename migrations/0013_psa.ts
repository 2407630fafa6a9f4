import { sql, type Kysely } from 'kysely';

// PSA (ConnectWise, Autotask): labour from time entries, the entries that could not be
// synced, and the seat to-do queue between Microsoft and the PSA's agreements.
//
// - `labour_lines`: one row per version of a PSA time entry. An edit inserts version n+1
//   and marks n `superseded`; a deletion marks the current version `deleted`. At most one
//   `current` version per entry. customer and cost node come from the identity map and
//   from cost_nodes.psa_project_code; the row keeps the entry as read (`source`).
// - `psa_sync_errors`: entries that were not synced, naming the entry and each field that
//   failed; cleared when the entry later syncs cleanly.
// - `psa_product_mappings`: which PSA catalogue product (ConnectWise catalog identifier,
//   Autotask service id) bills a Microsoft SKU, per connection; edited by an admin.
// - `psa_todos`: one difference between Microsoft's seats and the PSA's agreement, with
//   its evidence. Nothing is written to the PSA before a person approves it; the planned
//   write is stored with the item and its result once written. At most one open or
//   approved item per customer, SKU and connection.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table labour_lines (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      system text not null check (system in ('connectwise', 'autotask')),
      entry_id text not null,
      version integer not null check (version > 0),
      status text not null default 'current' check (status in ('current', 'superseded', 'deleted')),
      customer_id uuid not null references customers (id),
      cost_node_id uuid references cost_nodes (id),
      project_code text,
      ticket_id text,
      member text not null,
      work_type text,
      work_role text,
      work_date date not null,
      hours_worked numeric not null check (hours_worked >= 0),
      hours_billable numeric not null check (hours_billable >= 0),
      billable boolean not null,
      rate numeric check (rate >= 0),
      rate_source text check (rate_source in ('entry', 'role', 'agreement')),
      vendor_updated_at timestamptz not null,
      fingerprint text not null,
      source jsonb not null,
      superseded_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint labour_lines_version_key unique (connection_id, entry_id, version),
      constraint labour_lines_billable_rate check (not billable or rate is not null)
    );
    create unique index labour_lines_one_current_idx on labour_lines (connection_id, entry_id) where status = 'current';
    create index labour_lines_customer_idx on labour_lines (customer_id, work_date) where status = 'current';
    create trigger labour_lines_updated_at before update on labour_lines for each row execute function set_updated_at();

    create table psa_sync_errors (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      entity text not null check (entity in ('time_entry')),
      entry_id text not null,
      problems jsonb not null,
      source jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint psa_sync_errors_entry_key unique (connection_id, entity, entry_id)
    );
    create index psa_sync_errors_created_idx on psa_sync_errors (created_at desc, id desc);
    create trigger psa_sync_errors_updated_at before update on psa_sync_errors for each row execute function set_updated_at();

    create table psa_product_mappings (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      sku text not null check (length(trim(sku)) > 0),
      product text not null check (length(trim(product)) > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint psa_product_mappings_sku_key unique (connection_id, sku),
      constraint psa_product_mappings_product_key unique (connection_id, product)
    );
    create trigger psa_product_mappings_updated_at before update on psa_product_mappings for each row execute function set_updated_at();

    create table psa_todos (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      customer_id uuid not null references customers (id),
      kind text not null check (kind in ('increase', 'decrease', 'missing_product', 'price_differs', 'cancelled_in_microsoft')),
      sku text not null,
      product text,
      agreement_id text,
      addition_id text,
      microsoft_quantity numeric not null,
      microsoft_as_of timestamptz,
      psa_quantity numeric,
      psa_unit_price numeric,
      approved_unit_price numeric,
      planned_write jsonb,
      fingerprint text not null,
      status text not null default 'open' check (status in ('open', 'approved', 'written', 'dismissed', 'superseded', 'failed')),
      requested_by text,
      decided_by text,
      decided_at timestamptz,
      reason text,
      write_result jsonb,
      written_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint psa_todos_dismiss_reason check (status <> 'dismissed' or (reason is not null and length(trim(reason)) > 0))
    );
    create unique index psa_todos_one_open_idx on psa_todos (connection_id, customer_id, sku) where status in ('open', 'approved');
    create index psa_todos_created_idx on psa_todos (created_at desc, id desc);
    create trigger psa_todos_updated_at before update on psa_todos for each row execute function set_updated_at();
  `.execute(db);
}
