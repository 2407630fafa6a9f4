import { sql, type Kysely } from 'kysely';

// Thresholds with segregation of duties, and invoice delivery by e-mail.
//
// - `invoice_adjustments`: a manual credit or a write-off against an issued invoice (the
//   invoice itself is never edited: the adjustment is a record beside it, like a credit
//   note), or the late usage of a closed period a close wants to bill. Above the approval threshold it waits (`pending`) for a finance key other than
//   the requester's; the check constraint makes that rule hold for every writer, not only
//   the API.
// - `invoice_deliveries`: every attempt to e-mail an issued invoice to its customer's
//   billing contact and what came of it (sent, bounced: the server refused the recipient;
//   failed: out of attempts, with the reason).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table invoice_adjustments (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      -- The invoice a credit or write-off is against; a late-usage adjustment is billed on a later invoice.
      invoice_id uuid references invoices (id),
      kind text not null check (kind in ('credit', 'write_off', 'late_usage')),
      -- The period the adjustment is for (a credited invoice's; the late lines' own).
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      amount numeric not null check (amount > 0),
      currency char(3) not null,
      reason text not null check (length(trim(reason)) > 0),
      status text not null check (status in ('pending', 'approved', 'rejected')),
      approval_required boolean not null,
      threshold numeric not null,
      requested_by text not null,
      requested_key_id uuid references api_keys (id),
      decided_by text,
      decided_key_id uuid references api_keys (id),
      decision_comment text,
      decided_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint invoice_adjustments_four_eyes check (decided_key_id is null or requested_key_id is null or decided_key_id <> requested_key_id),
      constraint invoice_adjustments_invoice check ((kind = 'late_usage') = (invoice_id is null)),
      constraint invoice_adjustments_decided check ((status = 'pending') = (decided_at is null))
    );
    create index invoice_adjustments_created_at_idx on invoice_adjustments (created_at desc, id desc);
    create index invoice_adjustments_invoice_idx on invoice_adjustments (invoice_id);
    create index invoice_adjustments_customer_idx on invoice_adjustments (customer_id, created_at desc);
    create trigger invoice_adjustments_updated_at before update on invoice_adjustments for each row execute function set_updated_at();

    create table invoice_deliveries (
      id uuid primary key default gen_random_uuid(),
      invoice_id uuid not null references invoices (id),
      customer_id uuid not null references customers (id),
      recipient text not null,
      status text not null default 'pending' check (status in ('pending', 'sent', 'bounced', 'failed')),
      attempts integer not null default 0,
      last_error text,
      smtp_status integer,
      message_id text,
      requested_by text not null,
      sent_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index invoice_deliveries_invoice_idx on invoice_deliveries (invoice_id, created_at desc);
    create index invoice_deliveries_status_idx on invoice_deliveries (status, created_at desc);
    create trigger invoice_deliveries_updated_at before update on invoice_deliveries for each row execute function set_updated_at();
  `.execute(db);
}
