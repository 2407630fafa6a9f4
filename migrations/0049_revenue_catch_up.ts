import { sql, type Kysely } from 'kysely';

// Catch-up entries: a posted journal is never edited, so when a schedule changes after
// some of its periods were journaled (an invoice revision supersedes it, a cancellation
// cuts it short) the difference is recognised as its own entry in the next period.
// - `catch_up`: such an entry; a schedule may hold one next to its ordinary entry of the
//   same period.
// - `carried`: an ordinary entry of a revision whose period the superseded revision had
//   already journaled; its amount is recognised through that journal and the catch-up,
//   so the journals skip it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table revenue_schedule_entries
      add column catch_up boolean not null default false,
      add column carried boolean not null default false,
      drop constraint revenue_schedule_entries_schedule_id_period_key,
      add constraint revenue_schedule_entries_schedule_period_kind_key unique (schedule_id, period, catch_up)
  `.execute(db);
}
