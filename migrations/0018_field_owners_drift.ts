import { sql, type Kysely } from 'kysely';

// One owner per field, and the drift between the owner and every copy.
//
// - `field_owners`: which system owns a canonical field (hub, microsoft, crm, psa, erp)
//   and what approval a change of the hub's copy needs. Sync writes only from the owner;
//   an inbound difference on a field the sender does not own becomes a drift finding.
//   Seeded with the documented defaults; admins change rows through the API.
// - `drift_findings`: one per difference (finding_key: connection, customer, field and
//   subject, e.g. category:compute), at most one open at a time; both values with when
//   each was last seen, the owner, and the money at stake per month.
// - `sync_writes`: every write the hub makes to a vendor, with the values before and
//   after, keyed for idempotency. It is the hub's origin marker: a value the hub wrote
//   itself is recognised as its own echo and never processed as a vendor change.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table field_owners (
      field text primary key,
      owner text not null check (owner in ('hub', 'microsoft', 'crm', 'psa', 'erp')),
      approval text not null check (approval in ('rate-card-dual-approval', 'approval-queue', 'none')),
      description text not null,
      updated_by text not null default 'migration',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create trigger field_owners_updated_at before update on field_owners for each row execute function set_updated_at();
    insert into field_owners (field, owner, approval, description) values
      ('rate_card.markup_percent', 'hub', 'rate-card-dual-approval', 'Markup on cost per Azure charge category: the approved rate card, copied to CRM line prices'),
      ('rate_card.unit_price', 'hub', 'rate-card-dual-approval', 'Price per seat SKU: the approved rate card, copied to CRM line prices'),
      ('subscription.seats', 'microsoft', 'none', 'Seat counts: what Partner Center has provisioned'),
      ('customer.billing_contact', 'crm', 'none', 'Billing contact name and e-mail'),
      ('customer.billing_address', 'crm', 'none', 'Billing address'),
      ('psa.agreement_quantity', 'hub', 'approval-queue', 'PSA agreement addition quantities: follow the hub through the approval queue'),
      ('erp.customer_id', 'erp', 'none', 'The customer number in the ERP');

    create table drift_findings (
      id uuid primary key default gen_random_uuid(),
      finding_key text not null,
      connection_id uuid not null references connections (id),
      customer_id uuid not null references customers (id),
      system text not null,
      field text not null references field_owners (field),
      subject text not null,
      owner text not null,
      owner_value text,
      owner_seen_at timestamptz,
      other_value text,
      other_seen_at timestamptz,
      money_at_stake numeric check (money_at_stake >= 0),
      currency char(3),
      vendor_ref jsonb not null,
      status text not null default 'open' check (status in ('open', 'resolving', 'awaiting-approval', 'resolved', 'ignored', 'closed')),
      resolution text check (resolution in ('push-owner-value', 'accept-other-value', 'ignore', 'disappeared')),
      resolution_note text,
      resolved_by text,
      resolved_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index drift_findings_one_open_idx on drift_findings (finding_key) where status in ('open', 'resolving', 'awaiting-approval');
    create index drift_findings_created_idx on drift_findings (created_at desc, id desc);
    create trigger drift_findings_updated_at before update on drift_findings for each row execute function set_updated_at();

    create table sync_writes (
      id uuid primary key default gen_random_uuid(),
      idempotency_key text not null unique,
      connection_id uuid not null references connections (id),
      object text not null,
      external_id text not null,
      before jsonb not null,
      after jsonb not null,
      origin text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index sync_writes_object_idx on sync_writes (connection_id, object, external_id, created_at desc);
  `.execute(db);
}
