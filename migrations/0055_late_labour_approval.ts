import { sql, type Kysely } from 'kysely';

// Late labour (a PSA entry of a closed period changed after its close) above the approval
// threshold waits for finance like late usage does: `late_labour` adjustments, billed on a
// later invoice, so like late usage they carry no invoice of their own.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table invoice_adjustments drop constraint invoice_adjustments_kind_check;
    alter table invoice_adjustments add constraint invoice_adjustments_kind_check check (kind in ('credit', 'write_off', 'late_usage', 'late_labour'));
    alter table invoice_adjustments drop constraint invoice_adjustments_invoice;
    alter table invoice_adjustments add constraint invoice_adjustments_invoice check ((kind in ('late_usage', 'late_labour')) = (invoice_id is null));
  `.execute(db);
}
