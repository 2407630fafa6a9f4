import { sql, type Kysely } from 'kysely';

// Onboarding templates are the MSP's own setup recipes (enterprise, SMB, trial…), not a
// customer's rows, so no row-level security policy: like charge categories they are
// hub-wide configuration that only staff routes read. The key is what a CRM deal field
// names; the cost-node tree is kept as the nested list the API takes, since it is only
// ever read whole, when a won deal applies it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table onboarding_templates (
      key text primary key check (key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
      name text not null check (length(trim(name)) > 0),
      cost_nodes jsonb not null default '[]',
      invoice_format text not null check (invoice_format in ('detailed', 'summary')),
      review_cadence text not null check (review_cadence in ('monthly', 'quarterly', 'semiannual', 'annual')),
      trial_spend_cap numeric(18, 2) check (trial_spend_cap > 0),
      trial_days integer check (trial_days between 1 and 366),
      constraint onboarding_templates_trial_check check ((trial_spend_cap is null) = (trial_days is null)),
      updated_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  // What a won deal's template set: the customer's invoice format and review cadence, and
  // on the quote (its baseline) a trial's spend cap and conversion date. Columns of
  // tables that already carry their row-level security, so no new policy is needed.
  await sql`
    alter table customers
      add column onboarding_template text,
      add column invoice_format text check (invoice_format in ('detailed', 'summary')),
      add column review_cadence text check (review_cadence in ('monthly', 'quarterly', 'semiannual', 'annual'))
  `.execute(db);
  await sql`
    alter table quotes
      add column onboarding_template text,
      add column trial_spend_cap numeric(18, 2),
      add column trial_conversion_date date,
      add constraint quotes_trial_check check ((trial_spend_cap is null) = (trial_conversion_date is null))
  `.execute(db);
  await sql`create trigger onboarding_templates_updated_at before update on onboarding_templates for each row execute function set_updated_at()`.execute(db);
}
