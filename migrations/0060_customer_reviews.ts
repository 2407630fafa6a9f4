import { sql, type Kysely } from 'kysely';

// Account reviews held with a customer whose onboarding template set a review cadence.
// The next review is due one cadence after the latest one (before the first, one cadence
// after onboarding), so recording a review is what moves the cadence on. A customer's rows:
// row-level security like 0025, and no grant to hub_portal (no portal route reads them).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table customer_reviews (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      reviewed_on date not null,
      -- The due date the review answered, as the hub computed it when the review was recorded.
      due_on date not null,
      cadence text not null,
      notes text,
      recorded_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index customer_reviews_latest_idx on customer_reviews (customer_id, reviewed_on desc);
    create trigger customer_reviews_updated_at before update on customer_reviews for each row execute function set_updated_at();
    alter table customer_reviews enable row level security;
    create policy customer_isolation on customer_reviews to hub_portal
      using (customer_id = hub_customer_id()) with check (customer_id = hub_customer_id());
  `.execute(db);
}
