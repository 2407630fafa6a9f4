import { sql, type Kysely } from 'kysely';

// Accounting mappings: where an invoice line lands in an ERP.
//
// - `accounting_mappings`: per ERP (`system`), what a charge category, a SKU or a special
//   line kind (minimum, rounding) posts to (revenue GL account, tax code), and what a
//   cost node posts as the ERP's cost-centre dimension (QuickBooks class/department,
//   Xero tracking options, NetSuite department/class/location). A cost node without its
//   own entry takes its nearest mapped ancestor's.
// - `accounting_mapping_versions`: one row per edit, so the trail says who changed the
//   mapping and why (the before/after is in the audit log).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table accounting_mappings (
      id uuid primary key default gen_random_uuid(),
      system text not null check (system in ('quickbooks', 'xero', 'netsuite')),
      match_kind text not null check (match_kind in ('category', 'sku', 'lineKind', 'costNode', 'deferredRevenue')),
      match_value text not null check (length(match_value) > 0),
      account text,
      tax_code text,
      dimensions jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint accounting_mappings_target check (account is not null or dimensions is not null)
    );
    create unique index accounting_mappings_match_idx on accounting_mappings (system, match_kind, lower(match_value));
    create trigger accounting_mappings_updated_at before update on accounting_mappings for each row execute function set_updated_at();

    create table accounting_mapping_versions (
      id uuid primary key default gen_random_uuid(),
      system text not null,
      version integer not null check (version > 0),
      created_by text not null,
      justification text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint accounting_mapping_versions_key unique (system, version)
    );
  `.execute(db);
}
