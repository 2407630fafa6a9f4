import { sql, type Kysely } from 'kysely';

// Stored ASC 606 revenue schedules and the period journals that recognise them.
//
// - `revenue_schedules`: one per invoice line and service window (a line whose licence
//   lines cover two windows, e.g. a renewal and a seat increase, has two), with the
//   engine's pattern and the licence lines it came from. `deferred` says the line went
//   to the deferred revenue account at invoicing, so its entries are recognised by the
//   period journals; the others were recognised on the invoice itself. A cancellation or
//   refund ends a schedule: `ended_on` is its last day of service and `reversed_amount`
//   what it never recognises (set against the refund line's schedule, `reverses_id`).
// - `revenue_schedule_entries`: the amount per calendar month; `reversed` entries were
//   cut by a cancellation.
// - `revenue_journals`: one per ERP connection, period, currency and sequence (a second
//   one only for entries that arrive after the first was posted); the idempotency key is
//   derived from those, and the ERP document id is written back.
// - `revenue_journal_entries`: which entries a journal recognised, so none is recognised
//   twice in one ERP.
// Schedules, entries and their journal links are customer rows: row-level security as in
// 0025, with no grant to hub_portal (no portal route reads them).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table revenue_schedules (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      invoice_id uuid not null references invoices (id),
      invoice_line_id uuid not null references invoice_lines (id),
      currency char(3) not null,
      pattern text not null check (pattern in ('ratable-daily', 'monthly', 'point-in-time')),
      service_start date not null,
      service_end date not null check (service_end >= service_start),
      total numeric not null,
      deferred boolean not null,
      subscription_id text,
      license_line_ids uuid[] not null default '{}',
      status text not null default 'active' check (status in ('active', 'ended')),
      ended_on date,
      reversed_amount numeric not null default 0,
      reverses_id uuid references revenue_schedules (id),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (invoice_line_id, service_start, service_end, pattern)
    );
    create index revenue_schedules_customer_idx on revenue_schedules (customer_id, service_start);
    create index revenue_schedules_invoice_idx on revenue_schedules (invoice_id);
    create trigger revenue_schedules_updated_at before update on revenue_schedules for each row execute function set_updated_at();

    create table revenue_schedule_entries (
      id uuid primary key default gen_random_uuid(),
      schedule_id uuid not null references revenue_schedules (id),
      customer_id uuid not null references customers (id),
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      amount numeric not null,
      reversed boolean not null default false,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (schedule_id, period)
    );
    create index revenue_schedule_entries_period_idx on revenue_schedule_entries (period) where not reversed;
    create trigger revenue_schedule_entries_updated_at before update on revenue_schedule_entries for each row execute function set_updated_at();

    create table revenue_journals (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      system text not null check (system in ('quickbooks', 'xero', 'netsuite')),
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      currency char(3) not null,
      sequence integer not null check (sequence >= 1),
      status text not null default 'posting' check (status in ('posting', 'posted', 'failed', 'empty')),
      idempotency_key text not null unique,
      document_id text,
      total numeric not null default 0,
      lines jsonb not null default '[]',
      attempts integer not null default 0,
      last_error text,
      requested_by text,
      posted_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (connection_id, period, currency, sequence)
    );
    create trigger revenue_journals_updated_at before update on revenue_journals for each row execute function set_updated_at();

    create table revenue_journal_entries (
      journal_id uuid not null references revenue_journals (id),
      entry_id uuid not null references revenue_schedule_entries (id),
      connection_id uuid not null references connections (id),
      customer_id uuid not null references customers (id),
      primary key (journal_id, entry_id),
      unique (entry_id, connection_id)
    );
  `.execute(db);
  for (const table of ['revenue_schedules', 'revenue_schedule_entries', 'revenue_journal_entries']) {
    await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
    await sql`create policy customer_isolation on ${sql.table(table)} to hub_portal
      using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id())`.execute(db);
  }
}
