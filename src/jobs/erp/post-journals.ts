import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { costNodeParents, loadMappingIndex } from '../../db/accounting-mappings.ts';
import { loadInvoiceLinesToPost } from '../../db/invoice-posting-lines.ts';
import { addDays, periodBounds, periodOf } from '../../engine/dates.ts';
import { Decimal, ZERO } from '../../engine/decimal.ts';
import { minorUnits } from '../../engine/money.ts';
import { ERP_SYSTEMS, type ErpSystem } from '../../mappings/accounting/line-accounts.ts';
import type { InvoiceLineToPost } from '../../mappings/accounting/posting-lines.ts';
import { assertBalanced, JournalRefusedError, journalNumber, journalTotal, recognitionJournalLines, type ErpJournal, type JournalLine } from '../../mappings/accounting/revenue-journal.ts';
import type { JournalPoster } from './journal-poster.ts';
import { netsuiteJournalPoster } from './netsuite-journal-poster.ts';
import { quickbooksClientFor } from './quickbooks-client-for-connection.ts';
import { quickbooksJournalPoster } from './quickbooks-journal-poster.ts';
import { xeroClientFor } from './xero-client-for-connection.ts';
import { xeroJournalPoster } from './xero-journal-poster.ts';

export const POST_JOURNALS_TASK = 'erp:post_journals';

export interface PostJournalsPayload {
  /** One ERP connection; default every active ERP connection. */
  connectionId?: string;
  /** YYYY-MM; default the month before today (UTC): the crontab runs it just after a month ends. */
  period?: string;
  requestedBy?: string;
}

export interface JournalOutcome {
  connectionId: string;
  system: ErpSystem;
  period: string;
  currency: string;
  journalId: string;
  number: string;
  status: 'posted' | 'failed';
  documentId: string | null;
  total: string;
  entries: number;
  error?: string;
  /** A failure another attempt may cure (the ERP unreachable, throttled); a refusal is not retried. */
  retryable?: boolean;
}

/** Builds the journal poster of an ERP connection. */
export type JournalPosterFactory = (ctx: HubContext, system: ErpSystem, connectionId: string) => Promise<JournalPoster>;

export const journalPosterFor: JournalPosterFactory = async (ctx, system, connectionId) => {
  if (system === 'xero') {
    const connection = await ctx.db.selectFrom('connections').select('settings').where('id', '=', connectionId).executeTakeFirstOrThrow();
    const base = (connection.settings as Record<string, unknown>).baseCurrency;
    return xeroJournalPoster(await xeroClientFor(ctx, connectionId), typeof base === 'string' ? base.toUpperCase() : undefined);
  }
  if (system === 'quickbooks') return quickbooksJournalPoster(await quickbooksClientFor(ctx, connectionId));
  return netsuiteJournalPoster(ctx, connectionId);
};

/** Entity (the ERP connection: one organisation, realm or account), period, currency and sequence make the key: a re-run asks for the same journal. */
export function journalKey(connectionId: string, period: string, currency: string, sequence: number): string {
  return `hub-rj-${createHash('sha256').update(`${connectionId}|${period}|${currency}|${sequence}`).digest('hex').slice(0, 32)}`;
}

const previousPeriod = (now: Date) => periodOf(addDays(periodBounds(periodOf(now.toISOString().slice(0, 10))).start, -1));

/**
 * Posts a period's revenue recognition to the ERP connections: one balanced journal per
 * connection (the entity) and currency, Dr deferred revenue / Cr revenue per GL account and
 * cost centre, over the entries of deferred schedules whose invoice that connection holds.
 * Exactly once: the entries are tied to the journal row before anything is sent, the
 * ERP is read back by the journal's number before a create, and the create carries a key
 * derived from connection, period, currency and sequence. Entries that arrive after a
 * period's journal was posted go into the next sequence. A journal that would not balance
 * is refused before it leaves the hub.
 */
export async function postPeriodJournals(payload: PostJournalsPayload, ctx: HubContext, posterFor: JournalPosterFactory = journalPosterFor): Promise<JournalOutcome[]> {
  const period = payload.period ?? previousPeriod(new Date());
  let connections = ctx.db.selectFrom('connections').select(['id', 'provider']).where('provider', 'in', [...ERP_SYSTEMS]).where('status', '=', 'active');
  if (payload.connectionId) connections = connections.where('id', '=', payload.connectionId);
  const outcomes: JournalOutcome[] = [];
  for (const connection of await connections.orderBy('created_at').execute()) {
    const system = connection.provider as ErpSystem;
    const { journals, refused } = await prepareJournals(ctx, connection.id, system, period, payload.requestedBy ?? null);
    outcomes.push(...refused.map((r) => ({ connectionId: connection.id, system, period, ...r })));
    if (journals.length === 0) continue;
    const poster = await posterFor(ctx, system, connection.id);
    for (const journal of journals) outcomes.push(await sendJournal(ctx, poster, { connectionId: connection.id, system, period, ...journal }));
  }
  return outcomes;
}

interface PreparedJournal {
  journalId: string;
  currency: string;
  journal: ErpJournal;
  entries: number;
}

/**
 * Sends one prepared journal exactly once and writes the ERP's id back; refuses it
 * before sending when it does not balance.
 */
export async function sendJournal(
  ctx: HubContext,
  poster: JournalPoster,
  prepared: PreparedJournal & { connectionId: string; system: ErpSystem; period: string },
): Promise<JournalOutcome> {
  const { journal, journalId } = prepared;
  const outcome = { connectionId: prepared.connectionId, system: prepared.system, period: prepared.period, currency: prepared.currency, journalId, number: journal.number, total: journalTotal(journal.lines).toFixed(minorUnits(prepared.currency)), entries: prepared.entries };
  await ctx.db.updateTable('revenue_journals').set((eb) => ({ attempts: eb('attempts', '+', 1) })).where('id', '=', journalId).execute();
  try {
    assertBalanced(journal);
    const document = (await poster.findJournal(journal)) ?? (await poster.createJournal(journal));
    await ctx.db.updateTable('revenue_journals').set({ status: 'posted', document_id: document.id, posted_at: new Date(), last_error: null }).where('id', '=', journalId).execute();
    return { ...outcome, status: 'posted', documentId: document.id };
  } catch (err) {
    const error = (err as Error).message;
    await ctx.db.updateTable('revenue_journals').set({ status: 'failed', last_error: error }).where('id', '=', journalId).execute();
    ctx.logger.warn({ journalId, number: journal.number, error }, 'revenue journal not posted');
    return { ...outcome, status: 'failed', documentId: null, error, retryable: !(err instanceof JournalRefusedError) };
  }
}

type RefusedJournal = Omit<JournalOutcome, 'connectionId' | 'system' | 'period'>;

/**
 * The connection's journals for the period that still need sending: one left unposted by
 * an earlier attempt (the same entries, the same lines), else a new one per currency over
 * the entries no journal of this connection recognised yet. Without a deferred revenue
 * account nothing can be built: the journal is recorded as refused (the run lists it,
 * nothing is retried) and the next run after the mapping is added fills that same journal.
 */
async function prepareJournals(
  ctx: HubContext,
  connectionId: string,
  system: ErpSystem,
  period: string,
  requestedBy: string | null,
): Promise<{ journals: PreparedJournal[]; refused: RefusedJournal[] }> {
  return ctx.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('revenue-journals'), hashtext(${`${connectionId}|${period}`}))`.execute(trx);
    const prepared: PreparedJournal[] = [];
    const refused: RefusedJournal[] = [];
    // Journals refused before any entry was tied to them, by currency: the next attempt fills them.
    const empty = new Map<string, { id: string; sequence: number; idempotency_key: string }>();
    const unsent = await trx.selectFrom('revenue_journals').selectAll().where('connection_id', '=', connectionId).where('period', '=', period).where('status', 'in', ['posting', 'failed']).orderBy('currency').orderBy('sequence').execute();
    for (const row of unsent) {
      const count = await trx.selectFrom('revenue_journal_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('journal_id', '=', row.id).executeTakeFirstOrThrow();
      if (Number(count.n) === 0 && (row.lines as unknown[]).length === 0) empty.set(row.currency, row);
      else prepared.push({ journalId: row.id, currency: row.currency, entries: Number(count.n), journal: journalOf(row.idempotency_key, period, row.currency, row.sequence, linesFromJson(row.lines)) });
    }
    const pending = await trx
      .selectFrom('revenue_schedule_entries as e')
      .innerJoin('revenue_schedules as s', 's.id', 'e.schedule_id')
      .innerJoin('erp_postings as p', (join) =>
        join
          .onRef('p.invoice_id', '=', 's.invoice_id')
          .on('p.connection_id', '=', connectionId)
          // A superseded revision's ERP document is voided, but the catch-up that takes back its journaled revenue still posts.
          .on((eb) => eb.or([eb('p.status', '=', 'posted'), eb.and([eb('p.status', '=', 'voided'), eb('e.catch_up', '=', true)])])),
      )
      .select(['e.id', 'e.amount', 'e.customer_id', 's.currency', 's.invoice_id', 's.invoice_line_id'])
      .where('e.period', '=', period)
      .where('e.reversed', '=', false)
      .where('e.carried', '=', false)
      .where('s.deferred', '=', true)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('revenue_journal_entries as j').select('j.entry_id').whereRef('j.entry_id', '=', 'e.id').where('j.connection_id', '=', connectionId))))
      .orderBy('s.currency')
      .execute();
    if (pending.length === 0) return { journals: prepared, refused };

    const index = await loadMappingIndex(trx, system);
    const deferredAccount = index.get('deferredRevenue', '*')?.account;
    const byCurrency = new Map<string, typeof pending>();
    for (const e of pending) byCurrency.set(e.currency, [...(byCurrency.get(e.currency) ?? []), e]);
    for (const [currency, entries] of byCurrency) {
      let journal = empty.get(currency);
      if (!journal) {
        const last = await trx.selectFrom('revenue_journals').select((eb) => eb.fn.max('sequence').as('max')).where('connection_id', '=', connectionId).where('period', '=', period).where('currency', '=', currency).executeTakeFirst();
        const sequence = (last?.max ?? 0) + 1;
        const key = journalKey(connectionId, period, currency, sequence);
        const row = await trx
          .insertInto('revenue_journals')
          .values({ connection_id: connectionId, system, period, currency, sequence, idempotency_key: key, requested_by: requestedBy })
          .returning('id')
          .executeTakeFirstOrThrow();
        journal = { id: row.id, sequence, idempotency_key: key };
      }
      const number = journalNumber(period, currency, journal.sequence);
      if (!deferredAccount) {
        const error = `journal ${number} refused: no deferred revenue account is mapped for ${system}; PUT /v1/accounting-mappings with { kind: 'deferredRevenue', value: '*', account }, then post the period again`;
        await trx.updateTable('revenue_journals').set((eb) => ({ status: 'failed', last_error: error, attempts: eb('attempts', '+', 1) })).where('id', '=', journal.id).execute();
        ctx.logger.warn({ journalId: journal.id, number, error }, 'revenue journal refused');
        refused.push({ currency, journalId: journal.id, number, status: 'failed', documentId: null, total: '0', entries: 0, error, retryable: false });
        continue;
      }
      const lines = await recognisedLines(trx, entries, currency, index, deferredAccount);
      const key = journal.idempotency_key;
      const row = { id: journal.id };
      await trx
        .updateTable('revenue_journals')
        .set({
          status: 'posting',
          last_error: null,
          total: journalTotal(lines).toFixed(minorUnits(currency)),
          lines: JSON.stringify(lines.map((l) => ({ ...l, amount: l.amount.toFixed(minorUnits(currency)) }))),
        })
        .where('id', '=', row.id)
        .execute();
      await trx
        .insertInto('revenue_journal_entries')
        .values(entries.map((e) => ({ journal_id: row.id, entry_id: e.id, connection_id: connectionId, customer_id: e.customer_id })))
        .execute();
      prepared.push({ journalId: row.id, currency, entries: entries.length, journal: journalOf(key, period, currency, journal.sequence, lines) });
    }
    return { journals: prepared, refused };
  });
}

/** The period's recognised amount per invoice line, split by the line's cost nodes, as journal lines. */
async function recognisedLines(
  trx: Parameters<typeof loadInvoiceLinesToPost>[0],
  entries: readonly { amount: string; invoice_id: string; invoice_line_id: string }[],
  currency: string,
  index: Awaited<ReturnType<typeof loadMappingIndex>>,
  deferredAccount: string,
): Promise<JournalLine[]> {
  const amountOfLine = new Map<string, Decimal>();
  for (const e of entries) amountOfLine.set(e.invoice_line_id, (amountOfLine.get(e.invoice_line_id) ?? ZERO).plus(e.amount));
  const recognised: InvoiceLineToPost[] = [];
  const customers = new Set<string>();
  for (const invoiceId of new Set(entries.map((e) => e.invoice_id))) {
    for (const line of await loadInvoiceLinesToPost(trx, invoiceId)) {
      const amount = amountOfLine.get(line.id);
      if (amount) recognised.push({ ...line, amount });
    }
    customers.add((await trx.selectFrom('invoices').select('customer_id').where('id', '=', invoiceId).executeTakeFirstOrThrow()).customer_id);
  }
  return recognitionJournalLines(recognised, currency, index, await costNodeParents(trx, [...customers]), deferredAccount);
}

function journalOf(key: string, period: string, currency: string, sequence: number, lines: JournalLine[]): ErpJournal {
  return { key, number: journalNumber(period, currency, sequence), date: periodBounds(period).end, currency, narration: `CSP Hub revenue recognised ${period} ${currency}`, lines };
}

function linesFromJson(value: unknown): JournalLine[] {
  return (value as (Omit<JournalLine, 'amount'> & { amount: string })[]).map((l) => ({ ...l, amount: new Decimal(l.amount) }));
}
