import { sql, type Kysely } from 'kysely';

// The month-end close: billing runs, invoices with their lines and lineage, the cost
// check's findings and the settings the invoice documents read.
//
// - A run records, per customer, what it froze (rate card version, fx rates, allocation
//   rule versions, category mapping version), the input fingerprint and the outcome.
// - Invoices are never edited once issued: a changed input makes revision n+1 and marks n
//   `superseded` (kept). Re-running an unchanged period reuses the current revision.
// - invoice_line_sources keeps lineage per (invoice line, source kind, fx, allocation
//   split) with the source line ids as an array and a count: 6 M usage lines stay a few
//   thousand rows.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table billing_runs (
      id uuid primary key default gen_random_uuid(),
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      time_zone text not null,
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'partial', 'failed')),
      customers_total integer not null default 0,
      customers_done integer not null default 0,
      pending_jobs integer not null default 0,
      error_count integer not null default 0,
      errors jsonb not null default '[]',
      requested_by text,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index billing_runs_created_at_idx on billing_runs (created_at desc, id desc);
    create index billing_runs_period_idx on billing_runs (period, created_at desc);
    create trigger billing_runs_updated_at before update on billing_runs for each row execute function set_updated_at();

    create table invoices (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      period text not null check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      revision integer not null check (revision >= 1),
      number text not null unique,
      status text not null default 'issued' check (status in ('issued', 'superseded')),
      billing_run_id uuid not null references billing_runs (id),
      currency char(3) not null,
      minor_units integer not null,
      rate_card_id uuid not null references rate_cards (id),
      rate_card_version_id uuid not null references rate_card_versions (id),
      rate_card_version integer not null,
      rounding_scope text not null,
      rounding_mode text not null,
      -- Tax-free amounts in the invoice currency.
      charges_total numeric not null,
      adjustments_total numeric not null,
      minimum_charge numeric not null,
      rounding_adjustment numeric not null,
      total numeric not null,
      cost numeric not null,
      subtotals_by_category jsonb not null,
      subtotals_by_cost_node jsonb not null,
      summary jsonb not null,
      margin jsonb not null,
      margin_flag_count integer not null default 0,
      inputs jsonb not null,
      fingerprint text not null,
      superseded_by uuid references invoices (id) deferrable initially deferred,
      superseded_at timestamptz,
      issued_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (customer_id, period, revision)
    );
    create unique index invoices_one_issued_idx on invoices (customer_id, period) where status = 'issued';
    create index invoices_period_idx on invoices (period, customer_id);
    create index invoices_created_at_idx on invoices (created_at desc, id desc);
    create trigger invoices_updated_at before update on invoices for each row execute function set_updated_at();

    create table invoice_lines (
      id uuid primary key default gen_random_uuid(),
      invoice_id uuid not null references invoices (id),
      position integer not null,
      line_key text not null,
      kind text not null check (kind in ('charge', 'adjustment', 'minimum', 'rounding')),
      description text not null,
      category text,
      subscription_id text,
      resource_group text,
      meter_id text,
      sku text,
      adjustment_id text,
      adjustment_period text,
      adjustment_label text,
      quantity numeric,
      exact_amount numeric not null,
      amount numeric not null,
      cost numeric not null,
      rate_rule_id text,
      rate_card_id uuid not null,
      rate_card_version integer not null,
      rounding jsonb not null,
      source_count integer not null default 0,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (invoice_id, position),
      unique (invoice_id, line_key)
    );

    create table invoice_line_sources (
      id bigint generated always as identity primary key,
      invoice_line_id uuid not null references invoice_lines (id),
      source_kind text not null check (source_kind in ('usage', 'license', 'usage_reversal', 'license_reversal')),
      rate_rule_id text not null,
      rate_card_id uuid not null,
      rate_card_version integer not null,
      basis text not null,
      markup_percent numeric,
      unit_price numeric,
      fx jsonb,
      cost_fx jsonb not null,
      allocation_rule_id uuid,
      allocation_rule_version integer,
      cost_node_id uuid not null,
      percent numeric not null,
      rounding jsonb not null,
      usage_line_ids bigint[],
      license_line_ids uuid[],
      line_count integer not null,
      quantity numeric not null,
      cost numeric not null,
      unrounded_price numeric not null,
      price numeric not null,
      allocated_amount numeric not null,
      created_at timestamptz not null default now(),
      check ((usage_line_ids is null) <> (license_line_ids is null))
    );
    create index invoice_line_sources_line_idx on invoice_line_sources (invoice_line_id);

    -- One row per customer a run touched: what it froze and what came of it.
    create table billing_run_customers (
      billing_run_id uuid not null references billing_runs (id),
      customer_id uuid not null references customers (id),
      outcome text not null check (outcome in ('issued', 'reused', 'unpriced', 'no_rate_card', 'failed')),
      invoice_id uuid references invoices (id),
      currency char(3),
      usage_lines integer not null default 0,
      license_lines integer not null default 0,
      late_lines integer not null default 0,
      unpriced_lines integer not null default 0,
      unmapped_lines integer not null default 0,
      discrepancies integer not null default 0,
      cost numeric,
      price numeric,
      unallocated numeric,
      rate_card_version_id uuid,
      inputs jsonb not null default '{}',
      fingerprint text,
      problems jsonb not null default '[]',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (billing_run_id, customer_id)
    );
    create trigger billing_run_customers_updated_at before update on billing_run_customers for each row execute function set_updated_at();

    -- Lines whose Microsoft cost differs from the documented formula: reported, never fixed.
    create table cost_discrepancies (
      id bigint generated always as identity primary key,
      billing_run_id uuid not null references billing_runs (id),
      customer_id uuid not null references customers (id),
      period text not null,
      line_kind text not null check (line_kind in ('usage', 'license')),
      usage_line_id bigint,
      license_line_id uuid,
      field text not null,
      formula text not null,
      microsoft numeric not null,
      recomputed numeric not null,
      difference numeric not null,
      currency text,
      created_at timestamptz not null default now()
    );
    create index cost_discrepancies_run_idx on cost_discrepancies (billing_run_id, id);

    -- Off-target lines of an invoice (the first 1,000 per invoice; invoices.margin_flag_count has them all).
    create table invoice_margin_flags (
      id bigint generated always as identity primary key,
      invoice_id uuid not null references invoices (id),
      line_kind text not null,
      line_id text not null,
      category text not null,
      rate_rule_id text not null,
      cost numeric not null,
      price numeric not null,
      margin_percent numeric,
      target_margin_percent numeric not null,
      deviation_points numeric,
      reason text not null
    );
    create index invoice_margin_flags_invoice_idx on invoice_margin_flags (invoice_id, id);

    -- Hub-wide settings (e.g. 'invoice.seller': the seller header on invoice documents).
    create table settings (
      key text primary key,
      value jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create trigger settings_updated_at before update on settings for each row execute function set_updated_at();

    -- An issued invoice and its lines and lineage are frozen: only the move to superseded is allowed.
    create function invoices_frozen() returns trigger language plpgsql as $$
    begin
      if old.status = 'issued' and new.status = 'superseded'
         and (to_jsonb(new) - array['status', 'superseded_by', 'superseded_at', 'updated_at'])
           = (to_jsonb(old) - array['status', 'superseded_by', 'superseded_at', 'updated_at']) then
        return new;
      end if;
      raise exception 'invoice % is issued and cannot be changed (re-run the close for a new revision)', old.id;
    end $$;
    create trigger invoices_frozen before update or delete on invoices for each row execute function invoices_frozen();
    create function invoice_lines_frozen() returns trigger language plpgsql as $$
    begin
      raise exception 'invoice lines and their lineage are never edited';
    end $$;
    create trigger invoice_lines_frozen before update or delete on invoice_lines for each row execute function invoice_lines_frozen();
    create trigger invoice_line_sources_frozen before update or delete on invoice_line_sources for each row execute function invoice_lines_frozen();

    alter table usage_lines add constraint usage_lines_picked_up_by_run_fkey foreign key (picked_up_by_run) references billing_runs (id);
    alter table license_lines add constraint license_lines_picked_up_by_run_fkey foreign key (picked_up_by_run) references billing_runs (id);
  `.execute(db);
}
