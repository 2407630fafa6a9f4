import { sql } from 'kysely';
import { addDays, periodBounds } from '../engine/dates.ts';
import { Decimal, ZERO } from '../engine/decimal.ts';
import { minorUnits } from '../engine/money.ts';
import type { Db } from './database.ts';

// When a schedule changes after some of its periods were journaled, the posted journals
// stay as they are (they are in the ERP's books) and the difference is recognised as a
// catch-up entry in the period after the last one journaled, so it goes out with the next
// journal.

export interface StoredEntry {
  id: string;
  period: string;
  amount: string;
  /** On a journal of some ERP connection already, or carried by a superseded revision's journal. */
  journaled: boolean;
  catchUp: boolean;
}

/** A schedule's live entries (not reversed), each marked whether a journal has it. */
export async function liveEntriesOf(trx: Db, scheduleId: string): Promise<StoredEntry[]> {
  const rows = await trx
    .selectFrom('revenue_schedule_entries as e')
    .select(['e.id', 'e.period', 'e.amount', 'e.carried', 'e.catch_up'])
    .select((eb) => eb.exists(eb.selectFrom('revenue_journal_entries as j').select('j.entry_id').whereRef('j.entry_id', '=', 'e.id')).as('on_journal'))
    .where('e.schedule_id', '=', scheduleId)
    .where('e.reversed', '=', false)
    .orderBy('e.period')
    .execute();
  return rows.map((r) => ({ id: r.id, period: r.period, amount: r.amount, journaled: Boolean(r.on_journal) || r.carried, catchUp: r.catch_up }));
}

export const nextPeriod = (period: string): string => addDays(periodBounds(period).end, 1).slice(0, 7);

/** Adds `amount` as the schedule's catch-up entry of `period` (merged into one not yet journaled there). */
export async function addCatchUp(trx: Db, schedule: { id: string; customerId: string; currency: string }, period: string, amount: Decimal): Promise<void> {
  if (amount.isZero()) return;
  const places = minorUnits(schedule.currency);
  await sql`
    insert into revenue_schedule_entries (schedule_id, customer_id, period, amount, catch_up)
    values (${schedule.id}, ${schedule.customerId}, ${period}, ${amount.toFixed(places)}, true)
    on conflict (schedule_id, period, catch_up) do update set amount = revenue_schedule_entries.amount + excluded.amount
  `.execute(trx);
}

/**
 * Ends the active schedules of the revision `newInvoiceId` supersedes: entries no journal
 * has are reversed; what was journaled stays, and the revision's matching schedule (same
 * subscription, pattern and service window) carries its own entries of those periods and
 * gets a catch-up for the difference, so both revisions together recognise exactly the new
 * schedule. A schedule the revision no longer has gets a catch-up that takes back what its
 * journals recognised. Run after the revision's own schedules are stored.
 */
export async function supersedeSchedules(trx: Db, newInvoiceId: string): Promise<void> {
  const old = await trx
    .selectFrom('revenue_schedules as s')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .select(['s.id', 's.customer_id', 's.currency', 's.total', 's.pattern', 's.subscription_id', 's.service_start', 's.service_end', 's.deferred'])
    .where('i.superseded_by', '=', newInvoiceId)
    .where('s.status', '=', 'active')
    .execute();
  for (const schedule of old) {
    const entries = await liveEntriesOf(trx, schedule.id);
    const journaled = entries.filter((e) => e.journaled);
    const unjournaled = entries.filter((e) => !e.journaled).map((e) => e.id);
    if (unjournaled.length > 0) await trx.updateTable('revenue_schedule_entries').set({ reversed: true }).where('id', 'in', unjournaled).execute();
    const recognised = journaled.reduce((s, e) => s.plus(e.amount), ZERO);
    const places = minorUnits(schedule.currency);
    const end = (kept: Decimal) => trx.updateTable('revenue_schedules').set({ status: 'ended', reversed_amount: new Decimal(schedule.total).minus(kept).toFixed(places) }).where('id', '=', schedule.id).execute();
    if (journaled.length === 0 || !schedule.deferred) {
      await end(recognised);
      continue;
    }

    const through = journaled[journaled.length - 1]!.period;
    const catchUpPeriod = nextPeriod(through);
    let match = trx
      .selectFrom('revenue_schedules')
      .select(['id', 'customer_id'])
      .where('invoice_id', '=', newInvoiceId)
      .where('deferred', '=', true)
      .where('status', '=', 'active')
      .where('pattern', '=', schedule.pattern)
      .where('service_start', '=', schedule.service_start)
      .where('service_end', '=', schedule.service_end);
    match = schedule.subscription_id === null ? match.where('subscription_id', 'is', null) : match.where('subscription_id', '=', schedule.subscription_id);
    const successor = await match.orderBy('created_at').executeTakeFirst();
    await end(successor ? recognised : ZERO);
    if (!successor) {
      await addCatchUp(trx, { id: schedule.id, customerId: schedule.customer_id, currency: schedule.currency }, catchUpPeriod, recognised.negated());
      continue;
    }
    const carried = await trx
      .updateTable('revenue_schedule_entries')
      .set({ carried: true })
      .where('schedule_id', '=', successor.id)
      .where('catch_up', '=', false)
      .where('reversed', '=', false)
      .where('period', '<=', through)
      .returning('amount')
      .execute();
    const owed = carried.reduce((s, e) => s.plus(e.amount), ZERO).minus(recognised);
    await addCatchUp(trx, { id: successor.id, customerId: successor.customer_id, currency: schedule.currency }, catchUpPeriod, owed);
  }
}
