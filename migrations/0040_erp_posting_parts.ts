import { sql, type Kysely } from 'kysely';

// An invoice can post to an ERP as more than one document: its own lines as the
// invoice ('invoice'), and each approved late-usage adjustment it carries as a document
// of its own ('late-YYYY-MM', the adjustment's id on the lines), so finance sees the late
// usage apart from the month's charges. `document_type` says which kind the ERP holds:
// a negative adjustment is a credit note (credit memo), not an invoice.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table erp_postings
      add column part text not null default 'invoice' check (part = 'invoice' or part ~ '^late-[0-9]{4}-[0-9]{2}$'),
      add column document_type text not null default 'invoice' check (document_type in ('invoice', 'credit_note'));
    alter table erp_postings drop constraint erp_postings_invoice_system_key;
    alter table erp_postings add constraint erp_postings_invoice_system_part_key unique (invoice_id, system, part);
  `.execute(db);
}
