import { sql, type Kysely } from 'kysely';

// Combined invoices: PSA labour billed on the same invoice as the Microsoft lines.
//
// - `invoice_lines.kind` gains 'labour': one line per engagement (project cost node, or
//   none), billable hours × each entry's own rate, rounded once per engagement.
// - `invoice_line_sources.source_kind` gains 'labour', traced by `labour_line_ids`: ids of
//   labour_lines rows, each one version of one PSA entry (system, entry_id, version), so
//   the lineage names exactly the version that was billed even after the entry changes.
//   A lineage row traces exactly one kind of source line.
// - `invoices.labour_total` (the labour lines' sum) and `invoices.labour`: the per-engagement
//   report, billable and non-billable hours (reported, never charged) with their entries.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table invoice_lines drop constraint invoice_lines_kind_check;
    alter table invoice_lines add constraint invoice_lines_kind_check check (kind in ('charge', 'adjustment', 'minimum', 'rounding', 'labour'));

    alter table invoice_line_sources drop constraint invoice_line_sources_source_kind_check;
    alter table invoice_line_sources add constraint invoice_line_sources_source_kind_check
      check (source_kind in ('usage', 'license', 'usage_reversal', 'license_reversal', 'labour'));
    alter table invoice_line_sources add column labour_line_ids uuid[];
    alter table invoice_line_sources drop constraint invoice_line_sources_check;
    alter table invoice_line_sources add constraint invoice_line_sources_one_kind_of_ids
      check (num_nonnulls(usage_line_ids, license_line_ids, labour_line_ids) = 1);
    alter table invoice_line_sources add constraint invoice_line_sources_labour_ids
      check ((source_kind = 'labour') = (labour_line_ids is not null));

    alter table invoices add column labour_total numeric not null default 0;
    alter table invoices add column labour jsonb;
  `.execute(db);
}
