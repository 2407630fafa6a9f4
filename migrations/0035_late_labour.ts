import { sql, type Kysely } from 'kysely';

// Late labour: a PSA time entry changed (or added, or deleted) after the billing period
// it belongs to was closed. The closed invoice is never edited: the change is billed as
// a labelled adjustment on a later invoice, as late usage is.
//
// - `labour_lines.supersedes_id`: the version this one replaces (null for a first version).
// - `labour_lines.late_period`: set when the version was stored after its own period or
//   the period of the version it replaces was closed: the closed period the adjustment is
//   for. A late version never changes what a close of that period bills; a deletion of a
//   billed entry becomes a late version of its own (status 'deleted', no hours).
// - `labour_lines.picked_up_by_run`: the run whose invoice billed the late version.
// - `invoice_line_sources.source_kind` gains 'labour_reversal': the version a late change
//   replaces, taken back at the price it was billed at.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table labour_lines add column supersedes_id uuid references labour_lines (id);
    alter table labour_lines add column late_period text check (late_period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$');
    alter table labour_lines add column late_detected_at timestamptz;
    alter table labour_lines add column picked_up_by_run uuid references billing_runs (id);
    alter table labour_lines add constraint labour_lines_late_detected check ((late_period is null) = (late_detected_at is null));
    create index labour_lines_late_idx on labour_lines (customer_id, late_period) where late_period is not null;

    alter table invoice_line_sources drop constraint invoice_line_sources_source_kind_check;
    alter table invoice_line_sources add constraint invoice_line_sources_source_kind_check
      check (source_kind in ('usage', 'license', 'usage_reversal', 'license_reversal', 'labour', 'labour_reversal'));
    alter table invoice_line_sources drop constraint invoice_line_sources_labour_ids;
    alter table invoice_line_sources add constraint invoice_line_sources_labour_ids
      check ((source_kind in ('labour', 'labour_reversal')) = (labour_line_ids is not null));
  `.execute(db);
}
