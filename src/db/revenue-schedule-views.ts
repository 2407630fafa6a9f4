import { sql } from 'kysely';
import { journalNumber } from '../mappings/accounting/revenue-journal.ts';
import type { Db } from './database.ts';

export interface ScheduleEntryView {
  period: string;
  amount: string;
  /**
   * recognised: on a posted journal (or on the invoice itself, for a line not deferred); pending: not yet; reversed: cut by a
   * cancellation or a revision; carried: recognised by the superseded revision's journal and this schedule's catch-up.
   */
  status: 'recognised' | 'pending' | 'reversed' | 'carried';
  /** A catch-up: the difference a revision or cancellation made to periods already journaled. */
  catchUp: boolean;
  journals: { journalId: string; system: string; number: string; documentId: string | null }[];
}

export interface ScheduleView {
  id: string;
  customerId: string;
  invoiceId: string;
  invoiceNumber: string;
  invoiceLineId: string;
  linePosition: number;
  description: string;
  currency: string;
  pattern: string;
  serviceStart: string;
  serviceEnd: string;
  total: string;
  deferred: boolean;
  status: string;
  endedOn: string | null;
  reversedAmount: string;
  reversesScheduleId: string | null;
  subscriptionId: string | null;
  licenseLineIds: string[];
  entries: ScheduleEntryView[];
  createdAt: Date;
}

/** Schedules with their entries and journals, for one schedule, or a customer's and/or a period's (a schedule with an entry in it). */
export async function loadScheduleViews(db: Db, filter: { id?: string; customerId?: string; period?: string; limit?: number; before?: { createdAt: Date; id: string } }): Promise<ScheduleView[]> {
  let query = db
    .selectFrom('revenue_schedules as s')
    .innerJoin('invoices as i', 'i.id', 's.invoice_id')
    .innerJoin('invoice_lines as l', 'l.id', 's.invoice_line_id')
    .select([
      's.id',
      's.customer_id',
      's.invoice_id',
      'i.number',
      's.invoice_line_id',
      'l.position',
      'l.description',
      's.currency',
      's.pattern',
      sql<string>`to_char(s.service_start, 'YYYY-MM-DD')`.as('service_start'),
      sql<string>`to_char(s.service_end, 'YYYY-MM-DD')`.as('service_end'),
      's.total',
      's.deferred',
      's.status',
      sql<string | null>`to_char(s.ended_on, 'YYYY-MM-DD')`.as('ended_on'),
      's.reversed_amount',
      's.reverses_id',
      's.subscription_id',
      sql<string[]>`s.license_line_ids::text[]`.as('license_line_ids'),
      's.created_at',
    ]);
  if (filter.id) query = query.where('s.id', '=', filter.id);
  if (filter.customerId) query = query.where('s.customer_id', '=', filter.customerId);
  if (filter.period) {
    const period = filter.period;
    query = query.where((eb) => eb.exists(eb.selectFrom('revenue_schedule_entries as e').select('e.id').whereRef('e.schedule_id', '=', 's.id').where('e.period', '=', period)));
  }
  if (filter.before) {
    const { createdAt, id } = filter.before;
    query = query.where((eb) => eb.or([eb('s.created_at', '<', createdAt), eb.and([eb('s.created_at', '=', createdAt), eb('s.id', '<', id)])]));
  }
  const schedules = await query.orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(filter.limit ?? 1).execute();
  if (schedules.length === 0) return [];
  const entries = await db
    .selectFrom('revenue_schedule_entries as e')
    .leftJoin('revenue_journal_entries as je', 'je.entry_id', 'e.id')
    .leftJoin('revenue_journals as j', 'j.id', 'je.journal_id')
    .select(['e.schedule_id', 'e.period', 'e.amount', 'e.reversed', 'e.carried', 'e.catch_up', 'j.id as journalId', 'j.system', 'j.sequence', 'j.currency', 'j.status as journalStatus', 'j.document_id'])
    .where('e.schedule_id', 'in', schedules.map((s) => s.id))
    .orderBy('e.period')
    .orderBy('e.catch_up')
    .execute();
  const bySchedule = new Map<string, Map<string, ScheduleEntryView>>();
  const deferred = new Map(schedules.map((s) => [s.id, s.deferred]));
  for (const e of entries) {
    const periods = bySchedule.get(e.schedule_id) ?? new Map<string, ScheduleEntryView>();
    bySchedule.set(e.schedule_id, periods);
    const key = `${e.period}|${e.catch_up}`;
    const status = e.reversed ? 'reversed' : e.carried ? 'carried' : deferred.get(e.schedule_id) ? 'pending' : 'recognised';
    const view = periods.get(key) ?? { period: e.period, amount: e.amount, status, catchUp: e.catch_up, journals: [] };
    periods.set(key, view);
    if (e.journalId) {
      view.journals.push({ journalId: e.journalId, system: e.system!, number: journalNumber(e.period, e.currency!, e.sequence!), documentId: e.document_id });
      if (e.journalStatus === 'posted' && view.status === 'pending') view.status = 'recognised';
    }
  }
  return schedules.map((s) => ({
    id: s.id,
    customerId: s.customer_id,
    invoiceId: s.invoice_id,
    invoiceNumber: s.number,
    invoiceLineId: s.invoice_line_id,
    linePosition: s.position,
    description: s.description,
    currency: s.currency,
    pattern: s.pattern,
    serviceStart: s.service_start,
    serviceEnd: s.service_end,
    total: s.total,
    deferred: s.deferred,
    status: s.status,
    endedOn: s.ended_on,
    reversedAmount: s.reversed_amount,
    reversesScheduleId: s.reverses_id,
    subscriptionId: s.subscription_id,
    licenseLineIds: s.license_line_ids,
    entries: [...(bySchedule.get(s.id)?.values() ?? [])],
    createdAt: s.created_at,
  }));
}
