import { sql, type Kysely } from 'kysely';

// CRM quote-to-cash: a won deal becomes the customer's quote, expected baseline and a
// pending rate card version.
//
// - `deals`: one row per CRM deal the hub has met; its CRM id lives in external_links
//   (entity 'deal'), like every foreign id. customer_id is null until a win maps it.
// - `quotes`: one revision per distinct won state of a deal (close date, company, lines:
//   `fingerprint`), so a redelivered win is the same revision and a re-win after reopen a
//   new one. Carries the expected monthly Azure budget, its alert thresholds, and the rate
//   card version it requested.
// - `quote_lines`: each line as mapped (a seat SKU or an Azure charge category) with the
//   CRM's line as read in `source`.
// - `quote_expected_seats`: the baseline seats per SKU of a revision.
// - `quote_exceptions`: deals that could not be turned into billing setup, naming each
//   line or match that failed and why; at most one open per deal, refreshed on each try.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table external_links drop constraint external_links_entity_check;
    alter table external_links add constraint external_links_entity_check
      check (entity in ('customer', 'cost_node', 'subscription', 'deal'));

    create table deals (
      id uuid primary key default gen_random_uuid(),
      connection_id uuid not null references connections (id),
      customer_id uuid references customers (id),
      name text not null,
      latest_revision integer not null default 0 check (latest_revision >= 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index deals_customer_idx on deals (customer_id) where customer_id is not null;
    create trigger deals_updated_at before update on deals for each row execute function set_updated_at();

    create table quotes (
      id uuid primary key default gen_random_uuid(),
      deal_id uuid not null references deals (id),
      revision integer not null check (revision > 0),
      customer_id uuid not null references customers (id),
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      closed_at timestamptz,
      monthly_total numeric not null check (monthly_total >= 0),
      azure_monthly_budget numeric not null check (azure_monthly_budget >= 0),
      budget_alert_percents integer[] not null default '{110,120}' check (cardinality(budget_alert_percents) > 0),
      rate_card_id uuid not null references rate_cards (id),
      rate_card_version integer not null,
      fingerprint text not null,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint quotes_revision_key unique (deal_id, revision),
      constraint quotes_fingerprint_key unique (deal_id, fingerprint)
    );
    create index quotes_customer_idx on quotes (customer_id, created_at desc);
    create trigger quotes_updated_at before update on quotes for each row execute function set_updated_at();

    create table quote_lines (
      id uuid primary key default gen_random_uuid(),
      quote_id uuid not null references quotes (id),
      position integer not null check (position >= 0),
      kind text not null check (kind in ('seat', 'azure')),
      sku text,
      category text not null
        check (category in ('compute', 'storage', 'networking', 'databases', 'licenses', 'marketplace', 'support', 'other')),
      name text not null,
      quantity numeric not null check (quantity > 0),
      unit_price numeric not null check (unit_price >= 0),
      discount_per_unit numeric,
      discount_percent numeric,
      net_unit_price numeric not null check (net_unit_price >= 0),
      unit_cost numeric,
      markup_percent numeric,
      monthly_amount numeric not null check (monthly_amount >= 0),
      term text,
      billing_frequency text not null,
      source jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint quote_lines_position_key unique (quote_id, position),
      constraint quote_lines_seat_sku check ((kind = 'seat') = (sku is not null))
    );

    create table quote_expected_seats (
      quote_id uuid not null references quotes (id),
      sku text not null,
      seats numeric not null check (seats > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (quote_id, sku)
    );

    create table quote_exceptions (
      id uuid primary key default gen_random_uuid(),
      deal_id uuid not null references deals (id),
      status text not null default 'open' check (status in ('open', 'resolved')),
      reason text not null,
      problems jsonb not null,
      attempts integer not null default 1 check (attempts > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create unique index quote_exceptions_one_open_idx on quote_exceptions (deal_id) where status = 'open';
    create index quote_exceptions_created_idx on quote_exceptions (created_at desc, id desc);
    create trigger quote_exceptions_updated_at before update on quote_exceptions for each row execute function set_updated_at();
  `.execute(db);
}
