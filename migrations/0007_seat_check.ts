import { sql, type Kysely } from 'kysely';

// The close's seat check: where the hub's own subscription events (prorated by day) and
// Microsoft's licence lines disagree on a subscription's seat-days or amount in a period.
// Reported, never fixed: Microsoft's lines are what the partner is billed and what the
// close prices from.
//
// - `seat_discrepancies`: one row per subscription that differs, per run. kind is
//   seat_days, amount or invalid_events (the events could not be prorated: message says
//   why, expected_* are null). Amounts are in `currency`, Microsoft's billing currency
//   (null when Microsoft billed no line); expected_amount is null when no line priced a seat.
// - `billing_run_customers.seat_discrepancies`: their count per customer and run.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table seat_discrepancies (
      id bigint generated always as identity primary key,
      billing_run_id uuid not null references billing_runs (id),
      customer_id uuid not null references customers (id),
      period text not null,
      subscription_id uuid not null references subscriptions (id),
      partner_center_subscription_id text,
      kind text not null check (kind in ('seat_days', 'amount', 'invalid_events')),
      expected_seat_days numeric,
      billed_seat_days numeric not null,
      expected_amount numeric,
      billed_amount numeric not null,
      currency text,
      license_line_ids uuid[] not null default '{}',
      message text not null,
      created_at timestamptz not null default now()
    );
    create index seat_discrepancies_run_idx on seat_discrepancies (billing_run_id, id);

    alter table billing_run_customers add column seat_discrepancies integer not null default 0;
  `.execute(db);
}
