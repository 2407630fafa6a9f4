import { sql, type Kysely } from 'kysely';

// What a won deal's onboarding settings raise: a review reminder per customer and due
// date, a trial's spend cap passed and its conversion date drawing near, each once per
// customer and key (detail.key: the due date, or the trial quote) however often the daily
// check and the checks after syncs run, also when two run at the same time. Alerts already
// carry their row-level security, so no new policy.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create unique index alerts_onboarding_once_idx on alerts (customer_id, kind, (detail ->> 'key'))
      where kind in ('onboarding.review_due', 'trial.spend_cap', 'trial.conversion_due')
  `.execute(db);
}
