import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { periodOf } from '../engine/dates.ts';
import { Decimal, ZERO } from '../engine/decimal.ts';
import { minorUnits } from '../engine/money.ts';
import { cancelSchedule, type RecognitionPattern } from '../engine/revenue-schedule.ts';
import { isDeferredLine, lastServiceDayOf, schedulesOfLine, type LicenseSourceForRecognition, type ScheduleDraft } from '../engine/revenue-terms.ts';
import type { Db } from './database.ts';
import { addCatchUp, liveEntriesOf, nextPeriod, supersedeSchedules } from './revenue-catch-up.ts';

// Stored revenue schedules of an issued invoice: the engine's schedule per invoice line and
// service window, written once (a second call finds them and does nothing), with lineage
// to the invoice line and the licence lines behind it. A cancellation line ends the
// subscription's running upfront schedules here, because what it reverses depends on
// what was stored before it.

interface LicenseSourceRow {
  lineId: string;
  sourceKind: string;
  id: string;
  subscriptionId: string | null;
  chargeType: string | null;
  start: string | null;
  end: string | null;
  billingFrequency: string | null;
  reservationOrderId: string | null;
  subtotal: string | null;
}

/**
 * Stores the invoice's revenue schedules unless they exist, and answers the ids of its
 * lines that went to deferred revenue (their revenue is recognised by the period journals).
 */
export async function storeRevenueSchedules(db: Db, invoiceId: string): Promise<Set<string>> {
  return db.transaction().execute(async (trx) => {
    // One writer per invoice: a second job waits here, then finds the schedules.
    await sql`select pg_advisory_xact_lock(hashtext('revenue-schedules'), hashtext(${invoiceId}))`.execute(trx);
    const stored = await trx.selectFrom('revenue_schedules').select(['invoice_line_id', 'deferred']).where('invoice_id', '=', invoiceId).execute();
    if (stored.length > 0) return new Set(stored.filter((s) => s.deferred).map((s) => s.invoice_line_id));

    const invoice = await trx.selectFrom('invoices').select(['id', 'customer_id', 'period', 'currency']).where('id', '=', invoiceId).executeTakeFirstOrThrow();
    const lines = await trx.selectFrom('invoice_lines').select(['id', 'amount', 'adjustment_period']).where('invoice_id', '=', invoiceId).orderBy('position').execute();
    const sources = await licenseSourcesOf(trx, invoiceId);
    const deferred = new Set<string>();
    const cancellations: { draft: ScheduleDraft; row: ScheduleRow }[] = [];
    const charges: ScheduleToInsert[] = [];
    // Charges first, then cancellations: a cancellation may end a schedule of this very invoice (cancelled within days of the purchase).
    for (const line of lines) {
      const drafts = schedulesOfLine({
        id: line.id,
        amount: new Decimal(line.amount),
        currency: invoice.currency,
        invoicePeriod: invoice.period,
        adjustmentPeriod: line.adjustment_period,
        licenses: sources.get(line.id) ?? [],
      });
      // A deferred line's revenue all goes through deferred revenue and the journals, refunds included, so the two sides always match.
      const isDeferred = isDeferredLine(drafts, invoice.period);
      if (isDeferred) deferred.add(line.id);
      const row = { customer_id: invoice.customer_id, invoice_id: invoice.id, invoice_line_id: line.id, currency: invoice.currency, deferred: isDeferred };
      for (const draft of drafts) {
        if (draft.cancellation) cancellations.push({ draft, row });
        else charges.push({ row, draft, entries: draft.entries, reversed: ZERO, reverses: null });
      }
    }
    await insertSchedules(trx, charges);
    await supersedeSchedules(trx, invoice.id);
    for (const { draft, row } of cancellations) {
      const ended = await endSchedulesOf(trx, invoice.customer_id, draft);
      if (!ended) {
        // Nothing upfront to end (a monthly seat, say): negative revenue of the invoiced month.
        await insertSchedules(trx, [{ row, draft, entries: [{ period: invoice.period, amount: draft.total }], reversed: ZERO, reverses: null }]);
        continue;
      }
      // The refund is set against the remainder it ended; what is left over (a refund that differs from the remainder) is recognised when it happens.
      const settlement = draft.total.plus(ended.reversed);
      const entries = settlement.isZero() ? [] : [{ period: periodOf(draft.serviceStart), amount: settlement }];
      await insertSchedules(trx, [{ row, draft, entries, reversed: ended.reversed.negated(), reverses: ended.id }]);
    }
    return deferred;
  });
}

type ScheduleRow = { customer_id: string; invoice_id: string; invoice_line_id: string; currency: string; deferred: boolean };

interface ScheduleToInsert {
  row: ScheduleRow;
  draft: ScheduleDraft;
  entries: { period: string; amount: Decimal }[];
  reversed: Decimal;
  reverses: string | null;
}

/** The schedules and all their entries in two statements, whatever their number (ids made here so entries can point at them). */
async function insertSchedules(trx: Db, schedules: readonly ScheduleToInsert[]): Promise<void> {
  if (schedules.length === 0) return;
  const withIds = schedules.map((s) => ({ ...s, id: randomUUID(), places: minorUnits(s.row.currency) }));
  await trx
    .insertInto('revenue_schedules')
    .values(
      withIds.map(({ id, row, draft, reversed, reverses, places }) => ({
        id,
        ...row,
        pattern: draft.pattern,
        service_start: draft.serviceStart,
        service_end: draft.serviceEnd,
        total: draft.total.toFixed(places),
        subscription_id: draft.subscriptionId,
        license_line_ids: sql`${draft.licenseLineIds}::uuid[]`,
        reversed_amount: reversed.toFixed(places),
        reverses_id: reverses,
        status: reverses ? 'ended' : 'active',
        ended_on: reverses ? draft.serviceStart : null,
      })),
    )
    .execute();
  const entries = withIds.flatMap(({ id, row, entries, places }) => entries.map((e) => ({ schedule_id: id, customer_id: row.customer_id, period: e.period, amount: e.amount.toFixed(places) })));
  if (entries.length > 0) await trx.insertInto('revenue_schedule_entries').values(entries).execute();
}

interface EndedSchedule {
  id: string;
  /** What the ended schedules will never recognise. */
  reversed: Decimal;
}

/**
 * Ends the customer's running upfront schedules of the cancelled subscription that cover
 * the first refunded day: entries after the last day of service are reversed, the cut
 * month keeps what the engine recognises through that day. Entries a journal already
 * recognised stay as they are; what they recognised past that day is taken back by a
 * catch-up entry in the period after the last one journaled.
 */
async function endSchedulesOf(trx: Db, customerId: string, cancellation: ScheduleDraft): Promise<EndedSchedule | undefined> {
  if (!cancellation.subscriptionId) return undefined;
  const lastDay = lastServiceDayOf(cancellation);
  const running = await trx
    .selectFrom('revenue_schedules')
    .select(['id', 'total', 'currency', 'pattern', sql<string>`to_char(service_start, 'YYYY-MM-DD')`.as('start'), sql<string>`to_char(service_end, 'YYYY-MM-DD')`.as('end')])
    .where('customer_id', '=', customerId)
    .where('subscription_id', '=', cancellation.subscriptionId)
    .where('status', '=', 'active')
    .where('deferred', '=', true)
    .where('pattern', '=', 'ratable-daily')
    .where('service_start', '<=', cancellation.serviceStart)
    .where('service_end', '>=', cancellation.serviceStart)
    .orderBy('service_start')
    .execute();
  if (running.length === 0) return undefined;
  let reversed = ZERO;
  for (const schedule of running) {
    const terms = { total: new Decimal(schedule.total), currency: schedule.currency, serviceStart: schedule.start, serviceEnd: schedule.end, pattern: schedule.pattern as RecognitionPattern };
    const kept = new Map(cancelSchedule(terms, lastDay).entries.map((e) => [e.period, e.amount]));
    const entries = await liveEntriesOf(trx, schedule.id);
    const places = minorUnits(schedule.currency);
    let recognised = ZERO;
    let overJournaled = ZERO;
    let lastJournaled: string | undefined;
    for (const entry of entries) {
      const amount = kept.get(entry.period) ?? ZERO;
      // A catch-up only settles what carried entries already count.
      if (entry.catchUp) continue;
      if (entry.journaled) {
        // A posted journal stays as it is: what it recognised past the last day of service comes back as a catch-up.
        overJournaled = overJournaled.plus(entry.amount).minus(amount);
        recognised = recognised.plus(amount);
        lastJournaled = entry.period;
      } else if (amount.isZero()) await trx.updateTable('revenue_schedule_entries').set({ reversed: true }).where('id', '=', entry.id).execute();
      else {
        await trx.updateTable('revenue_schedule_entries').set({ amount: amount.toFixed(places) }).where('id', '=', entry.id).execute();
        recognised = recognised.plus(amount);
      }
    }
    if (lastJournaled) await addCatchUp(trx, { id: schedule.id, customerId, currency: schedule.currency }, nextPeriod(lastJournaled), overJournaled.negated());
    const remainder = new Decimal(schedule.total).minus(recognised);
    reversed = reversed.plus(remainder);
    await trx.updateTable('revenue_schedules').set({ status: 'ended', ended_on: lastDay, reversed_amount: remainder.toFixed(minorUnits(schedule.currency)) }).where('id', '=', schedule.id).execute();
  }
  return { id: running[0]!.id, reversed };
}

/** The licence lines behind each invoice line, once each, weighted by Microsoft's subtotal (negated for a reversal). */
async function licenseSourcesOf(trx: Db, invoiceId: string): Promise<Map<string, LicenseSourceForRecognition[]>> {
  const { rows } = await sql<LicenseSourceRow>`
    select distinct s.invoice_line_id as "lineId", s.source_kind as "sourceKind", ll.id, ll.subscription_id as "subscriptionId", ll.charge_type as "chargeType",
      to_char(ll.charge_start_date at time zone 'UTC', 'YYYY-MM-DD') as start, to_char(ll.charge_end_date at time zone 'UTC', 'YYYY-MM-DD') as "end",
      ll.billing_frequency as "billingFrequency", ll.reservation_order_id as "reservationOrderId", ll.subtotal::text as subtotal
    from invoice_line_sources s
    join invoice_lines l on l.id = s.invoice_line_id
    cross join lateral unnest(s.license_line_ids) as u(license_id)
    join license_lines ll on ll.id = u.license_id
    where l.invoice_id = ${invoiceId} and s.source_kind in ('license', 'license_reversal')
    order by 1, 3
  `.execute(trx);
  const byLine = new Map<string, LicenseSourceForRecognition[]>();
  for (const r of rows) {
    const weight = new Decimal(r.subtotal ?? 0);
    const list = byLine.get(r.lineId) ?? [];
    list.push({
      id: r.id,
      subscriptionId: r.subscriptionId,
      chargeType: r.chargeType ?? '',
      chargeStart: r.start,
      chargeEnd: r.end,
      billingFrequency: r.billingFrequency,
      reservation: Boolean(r.reservationOrderId),
      weight: r.sourceKind === 'license_reversal' ? weight.negated() : weight,
    });
    byLine.set(r.lineId, list);
  }
  return byLine;
}
