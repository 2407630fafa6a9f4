import { sql, type Kysely } from 'kysely';

// What became of a posted ERP document after the hub posted it.
// - A revision replaces the earlier revision's document: voided when the ERP allows it,
//   credited when it cannot be voided because it is paid or partly paid in the ERP
//   (status 'credited', with the credit note or credit memo that reverses it).
// - A payment or a void made in the ERP itself (reported by its webhook, read back)
//   sets `erp_status` and `amount_paid`, so the postings list shows what the ledger holds.
// Columns of a table that already carries its row-level security (through invoices).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table erp_postings drop constraint erp_postings_status_check;
    alter table erp_postings add constraint erp_postings_status_check
      check (status in ('queued', 'posting', 'posted', 'blocked', 'failed', 'voided', 'credited'));
    alter table erp_postings
      add column credit_document_id text,
      add column credit_document_number text,
      add column credit_total numeric,
      add column credited_at timestamptz,
      add column erp_status text check (erp_status in ('open', 'partly_paid', 'paid', 'voided_in_erp')),
      add column amount_paid numeric check (amount_paid >= 0),
      add column erp_status_at timestamptz;
  `.execute(db);
}
