import { sql, type Kysely } from 'kysely';

// ERP postings: one row per hub invoice and ERP, the document the ERP made for it.
// `idempotency_key` is derived from the invoice id (which is per revision), so a
// repeated job asks the ERP for the same document; the job also reads back by the hub
// invoice number before it creates. `problems` holds the unmapped lines that block it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table erp_postings (
      id uuid primary key default gen_random_uuid(),
      invoice_id uuid not null references invoices (id),
      system text not null check (system in ('quickbooks', 'xero', 'netsuite')),
      connection_id uuid not null references connections (id),
      status text not null default 'queued' check (status in ('queued', 'posting', 'posted', 'blocked', 'failed', 'voided')),
      idempotency_key text not null,
      document_id text,
      document_number text,
      document_total numeric,
      attempts integer not null default 0 check (attempts >= 0),
      problems jsonb,
      last_error text,
      requested_by text,
      posted_at timestamptz,
      voided_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint erp_postings_invoice_system_key unique (invoice_id, system)
    );
    create trigger erp_postings_updated_at before update on erp_postings for each row execute function set_updated_at();
  `.execute(db);
}
