import { sql, type Kysely } from 'kysely';

// Partner Center's canonical lines and the bookkeeping of syncs that fetch them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- A billing month, cut in the partner's billing time zone. A closed period's
    -- invoices are frozen: lines arriving for it later are stored as late.
    create table billing_periods (
      period text primary key check (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      status text not null default 'open' check (status in ('open', 'closed')),
      closed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check ((status = 'closed') = (closed_at is not null))
    );
    create trigger billing_periods_updated_at before update on billing_periods for each row execute function set_updated_at();

    create table subscriptions (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      connection_id uuid references connections (id),
      offer_id text,
      offer_name text,
      friendly_name text,
      sku_id text,
      quantity integer not null default 0,
      unit_type text,
      status text not null,
      billing_type text check (billing_type in ('license', 'usage', 'none')),
      billing_cycle text,
      term_duration text,
      auto_renew boolean,
      is_trial boolean not null default false,
      creation_date timestamptz,
      effective_start_date timestamptz,
      commitment_end_date timestamptz,
      refund_expires_at timestamptz,
      order_id text,
      last_synced_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index subscriptions_customer_idx on subscriptions (customer_id);
    create trigger subscriptions_updated_at before update on subscriptions for each row execute function set_updated_at();

    -- Every seat change as an effective-dated event; proration is computed from these.
    create table subscription_events (
      id uuid primary key default gen_random_uuid(),
      subscription_id uuid not null references subscriptions (id),
      type text not null check (type in ('purchase', 'add', 'remove', 'suspend', 'reactivate', 'cancel', 'upgrade', 'renew')),
      effective_date date not null,
      quantity_before integer,
      quantity_after integer,
      source text not null check (source in ('sync', 'license_line', 'manual')),
      detail jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index subscription_events_subscription_idx on subscription_events (subscription_id, effective_date);

    create table sync_runs (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      kind text not null check (kind in ('full', 'unbilled', 'billed')),
      period text,
      trigger text not null check (trigger in ('manual', 'schedule')),
      status text not null default 'queued' check (status in ('queued', 'running', 'succeeded', 'failed', 'partial')),
      customers_total integer not null default 0,
      customers_done integer not null default 0,
      pages integer not null default 0,
      lines integer not null default 0,
      retries integer not null default 0,
      error_count integer not null default 0,
      errors jsonb not null default '[]',
      pending_jobs integer not null default 0,
      requested_by text,
      started_at timestamptz,
      finished_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index sync_runs_connection_idx on sync_runs (connection_id, created_at desc);
    create trigger sync_runs_updated_at before update on sync_runs for each row execute function set_updated_at();

    -- Where an interrupted fetch resumes: a continuation token, a next link, a blob offset.
    create table sync_cursors (
      connection_id uuid not null references connections (id),
      scope text not null,
      cursor jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (connection_id, scope)
    );
    create trigger sync_cursors_updated_at before update on sync_cursors for each row execute function set_updated_at();

    -- GDAP: whether the partner may still read a customer's data.
    create table consents (
      customer_id uuid not null references customers (id),
      connection_id uuid not null references connections (id),
      status text not null check (status in ('active', 'lapsed')),
      lapsed_at timestamptz,
      restored_at timestamptz,
      detail text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (customer_id, connection_id)
    );
    create trigger consents_updated_at before update on consents for each row execute function set_updated_at();

    create table alerts (
      id uuid primary key default gen_random_uuid(),
      kind text not null,
      severity text not null check (severity in ('info', 'warning', 'critical')),
      status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
      customer_id uuid references customers (id),
      connection_id uuid references connections (id),
      message text not null,
      detail jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index alerts_open_idx on alerts (status, created_at desc);
    create trigger alerts_updated_at before update on alerts for each row execute function set_updated_at();

    create table imports (
      id uuid primary key default gen_random_uuid(),
      kind text not null check (kind in ('usage', 'license')),
      source_name text,
      format text not null check (format in ('csv', 'jsonl')),
      accepted integer not null default 0,
      duplicates integer not null default 0,
      rejected integer not null default 0,
      errors jsonb not null default '[]',
      requested_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create sequence usage_lines_id_seq as bigint;

    -- Azure daily rated usage exactly as Microsoft reports it: every documented field,
    -- vendor precision (numeric without scale), one partition per usage month.
    create table usage_lines (
      id bigint not null default nextval('usage_lines_id_seq'),
      usage_date date not null,
      line_key text not null,
      customer_id uuid not null,
      connection_id uuid,
      sync_run_id uuid,
      import_id uuid,
      source text not null check (source in ('billed_export', 'unbilled_export', 'usage_api', 'import')),
      late boolean not null default false,
      late_detected_at timestamptz,
      supersedes_id bigint,
      revision integer not null default 1,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      partner_id text,
      partner_name text,
      customer_tenant_id text not null,
      customer_name text,
      customer_domain_name text,
      customer_country text,
      mpn_id text,
      tier2_mpn_id text,
      invoice_number text,
      product_id text,
      sku_id text,
      availability_id text,
      sku_name text,
      product_name text,
      publisher_name text,
      publisher_id text,
      subscription_description text,
      subscription_id text,
      charge_start_date timestamptz,
      charge_end_date timestamptz,
      meter_type text,
      meter_category text,
      meter_id text,
      meter_sub_category text,
      meter_name text,
      meter_region text,
      unit text,
      resource_location text,
      consumed_service text,
      resource_group text,
      resource_uri text,
      charge_type text,
      unit_price numeric,
      quantity numeric,
      unit_type text,
      billing_pre_tax_total numeric,
      billing_currency text,
      pricing_pre_tax_total numeric,
      pricing_currency text,
      service_info1 text,
      service_info2 text,
      tags jsonb not null default '{}',
      additional_info text,
      effective_unit_price numeric,
      pc_to_bc_exchange_rate numeric,
      pc_to_bc_exchange_rate_date date,
      entitlement_id text,
      entitlement_description text,
      partner_earned_credit_percentage numeric,
      credit_percentage numeric,
      credit_type text,
      benefit_order_id text,
      benefit_id text,
      benefit_type text,
      primary key (usage_date, id),
      unique (usage_date, line_key)
    ) partition by range (usage_date);
    create index usage_lines_customer_idx on usage_lines (customer_id, usage_date);
    create index usage_lines_late_idx on usage_lines (late_detected_at) where late;

    -- New-commerce reconciliation (billed and unbilled) lines: seats and one-time charges.
    create table license_lines (
      id uuid primary key default gen_random_uuid(),
      line_key text not null unique,
      customer_id uuid not null references customers (id),
      connection_id uuid references connections (id),
      sync_run_id uuid,
      import_id uuid,
      source text not null check (source in ('billed', 'unbilled', 'import')),
      charge_period text not null,
      late boolean not null default false,
      late_detected_at timestamptz,
      supersedes_id uuid references license_lines (id),
      revision integer not null default 1,
      first_seen_at timestamptz not null default now(),
      last_seen_at timestamptz not null default now(),
      partner_id text,
      customer_tenant_id text not null,
      customer_name text,
      customer_domain_name text,
      customer_country text,
      invoice_number text,
      mpn_id text,
      reseller_mpn_id text,
      order_id text,
      order_date timestamptz,
      product_id text,
      sku_id text,
      availability_id text,
      sku_name text,
      product_name text,
      charge_type text,
      unit_price numeric,
      quantity numeric,
      subtotal numeric,
      tax_total numeric,
      total_for_customer numeric,
      currency text,
      price_adjustment_description text,
      publisher_name text,
      publisher_id text,
      subscription_description text,
      subscription_id text,
      charge_start_date timestamptz,
      charge_end_date timestamptz,
      term_and_billing_cycle text,
      effective_unit_price numeric,
      unit_type text,
      alternate_id text,
      billable_quantity numeric,
      billing_frequency text,
      pricing_currency text,
      pc_to_bc_exchange_rate numeric,
      pc_to_bc_exchange_rate_date date,
      meter_description text,
      reservation_order_id text,
      credit_reason_code text,
      subscription_start_date timestamptz,
      subscription_end_date timestamptz,
      reference_id text,
      product_qualifiers jsonb not null default '[]',
      promotion_id text,
      product_category text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index license_lines_customer_idx on license_lines (customer_id, charge_period);
    create index license_lines_late_idx on license_lines (late_detected_at) where late;
    create trigger license_lines_updated_at before update on license_lines for each row execute function set_updated_at();
  `.execute(db);
}
