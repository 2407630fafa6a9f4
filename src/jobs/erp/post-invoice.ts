import type { HubContext } from '../../context.ts';
import { costNodeParents, loadMappingIndexFor } from '../../db/accounting-mappings.ts';
import { mappingProblemsOf } from '../../db/accounting-problems.ts';
import { externalIdOf } from '../../db/external-links.ts';
import { loadInvoiceLinesToPost } from '../../db/invoice-posting-lines.ts';
import { minorUnits } from '../../engine/money.ts';
import type { ErpSystem } from '../../mappings/accounting/line-accounts.ts';
import { postingLines, postingTotal, type PostingLine } from '../../mappings/accounting/posting-lines.ts';
import { INVOICE_PART, documentTypeOf, latePeriodOf, linesOfPart, partOf } from '../../mappings/accounting/posting-parts.ts';
import { Decimal, sum } from '../../engine/decimal.ts';
import { storeRevenueSchedules } from '../../db/revenue-schedules.ts';
import { toDeferredRevenue } from '../../mappings/accounting/deferred-revenue.ts';
import type { ErpPoster } from './poster.ts';
import { quickbooksClientFor } from './quickbooks-client-for-connection.ts';
import { quickbooksMappingInForce, quickbooksPoster } from './quickbooks-poster.ts';
import { xeroMappingsInForce, xeroPoster } from './xero-poster.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { xeroClientFor } from './xero-client-for-connection.ts';
import { netsuiteClientFor } from './netsuite-client-for-connection.ts';
import { netsuitePoster } from './netsuite-poster.ts';

export const POST_INVOICE_TASK = 'erp:post_invoice';

export interface PostInvoicePayload {
  postingId: string;
}

async function posterFor(ctx: HubContext, system: ErpSystem, connectionId: string): Promise<ErpPoster> {
  if (system === 'xero') return xeroPoster(await xeroClientFor(ctx, connectionId), await xeroMappingsInForce(ctx.db, connectionId));
  if (system === 'quickbooks') return quickbooksPoster(await quickbooksClientFor(ctx, connectionId), await quickbooksMappingInForce(ctx.db, connectionId));
  if (system === 'netsuite') return netsuitePoster(await netsuiteClientFor(ctx, connectionId));
  throw new Error(`posting to ${system} is not available yet`);
}

/** Idempotency keys derive from the hub invoice id, which is per revision: a re-run asks for the same document. */
export const invoiceKey = (invoiceId: string) => `hub-invoice-${invoiceId}`;
const voidKey = (invoiceId: string) => `hub-void-${invoiceId}`;
/** Short enough for QuickBooks' 50-character requestid with the "-apply" of its application. */
const creditKey = (invoiceId: string) => `hub-cn-${invoiceId}`;
/** A late-usage adjustment's own document: within QuickBooks' 50 characters too. */
const lateKey = (invoiceId: string, latePeriod: string) => `hub-l${latePeriod.replace('-', '')}-${invoiceId}`;
/**
 * Taking back a late document, keyed by the revision that posted it and the late period:
 * the invoice id without its dashes keeps "-apply" and "-allocation" within QuickBooks' 50.
 */
const lateVoidKey = (invoiceId: string, latePeriod: string) => `hub-v${latePeriod.slice(2).replace('-', '')}-${invoiceId.replaceAll('-', '')}`;
const lateCreditKey = (invoiceId: string, latePeriod: string) => `hub-c${latePeriod.slice(2).replace('-', '')}-${invoiceId.replaceAll('-', '')}`;
/** The idempotency key of a posting of one part of an invoice. */
export const postingKey = (invoiceId: string, part: string) => {
  const latePeriod = latePeriodOf(part);
  return latePeriod ? lateKey(invoiceId, latePeriod) : invoiceKey(invoiceId);
};
const customerKey = (customerId: string) => `hub-customer-${customerId}`;

/**
 * Posts one hub invoice to one ERP, exactly once. Before creating, it reads the ERP back
 * by the hub invoice number, so a crash between the ERP's answer and the hub's commit
 * finds the document the first attempt made instead of making a second; the create
 * itself carries an idempotency key derived from the invoice id. An invoice with
 * unmapped lines is blocked, naming them. A new revision replaces the earlier revision's
 * document first: voided, or credited when it is paid in part or whole in the ERP.
 * A posting is for one part of the invoice (see posting-parts.ts): its own lines, or one
 * late-usage adjustment, which goes as an invoice of its own or, when it takes away, a
 * credit note, under its own number and key.
 */
export async function postInvoice(payload: PostInvoicePayload, ctx: HubContext): Promise<void> {
  const { db } = ctx;
  const posting = await db.selectFrom('erp_postings').selectAll().where('id', '=', payload.postingId).executeTakeFirstOrThrow();
  if (posting.status === 'posted' || posting.status === 'voided' || posting.status === 'credited') return;
  const system = posting.system as ErpSystem;
  const invoice = await db
    .selectFrom('invoices as i')
    .innerJoin('customers as c', 'c.id', 'i.customer_id')
    .select(['i.id', 'i.number', 'i.status', 'i.customer_id', 'i.period', 'i.revision', 'i.currency', 'i.total', 'i.issued_at', 'c.name as customerName'])
    .where('i.id', '=', posting.invoice_id)
    .executeTakeFirstOrThrow();
  const latePeriod = latePeriodOf(posting.part);
  const finish = (changes: { status: string; document_type?: string; problems?: unknown; last_error?: string | null; document_id?: string; document_number?: string; document_total?: string }, trx: typeof db = db) =>
    trx
      .updateTable('erp_postings')
      .set({
        ...changes,
        problems: changes.problems === undefined ? null : JSON.stringify(changes.problems),
        ...(changes.status === 'posted' ? { posted_at: new Date(), last_error: null } : {}),
      })
      .where('id', '=', posting.id)
      .execute();

  if (invoice.status !== 'issued') {
    await finish({ status: 'failed', last_error: `invoice ${invoice.number} was superseded before it was posted; its new revision posts instead` });
    return;
  }
  const allLines = await loadInvoiceLinesToPost(db, invoice.id);
  const parents = await costNodeParents(db, [invoice.customer_id]);
  const index = await loadMappingIndexFor(db, system, allLines, parents.keys());
  const toCheck = allLines.map((l) => ({ ...l, invoiceId: invoice.id, invoiceNumber: invoice.number, lineId: l.id, costNodeIds: l.allocations.map((a) => a.costNodeId) }));
  const problems = mappingProblemsOf(system, toCheck, index, parents, 500);
  if (problems.items.length > 0) {
    await finish({ status: 'blocked', problems: problems.items, last_error: `${problems.items.length} line(s) have no ${system} mapping` });
    return;
  }
  await db.updateTable('erp_postings').set((eb) => ({ status: 'posting', attempts: eb('attempts', '+', 1) })).where('id', '=', posting.id).execute();

  try {
    const poster = await posterFor(ctx, system, posting.connection_id);
    const customerRef = await customerInErp(ctx, poster, system, posting.connection_id, { id: invoice.customer_id, name: invoice.customerName });
    if (!customerRef) {
      await finish({
        status: 'blocked',
        problems: [{ field: 'customer', reason: `customer ${invoice.customerName} has no ${system} contact: link one (POST /v1/customers/${invoice.customer_id}/external-links) or set createMissingCustomers on the connection` }],
        last_error: `customer has no ${system} contact`,
      });
      return;
    }
    if (posting.part === INVOICE_PART) {
      await replaceEarlierRevisions(ctx, poster, system, invoice);
      // A late part this revision no longer carries has no job of its own to take its earlier document back.
      const parts = new Set(allLines.map(partOf));
      const dropped = (await earlierLatePostings(ctx, posting, invoice)).filter((p) => !parts.has(p.part));
      await takeBackLateDocuments(ctx, poster, dropped, invoice);
    }

    const deferredLines = await storeRevenueSchedules(db, invoice.id);
    if (!sum(allLines.map((l) => l.amount)).equals(invoice.total)) throw new Error(`the invoice lines add up to ${sum(allLines.map((l) => l.amount)).toString()}, not the invoice total ${invoice.total}`);
    const part = linesOfPart(allLines, posting.part);
    const lines = toDeferredRevenue(postingLines(part.lines, invoice.currency, index, parents), deferredLines, index, system);
    if (!postingTotal(lines).equals(part.total)) throw new Error(`the posting lines add up to ${postingTotal(lines).toString()}, not the ${posting.part} total ${part.total.toString()}`);

    const header = { invoiceId: invoice.id, revision: invoice.revision, customerRef, number: invoice.number, date: invoice.issued_at.toISOString().slice(0, 10), dueDate: null, currency: invoice.currency, reference: `${invoice.period} r${invoice.revision}`, period: invoice.period, customerName: invoice.customerName };
    const type = latePeriod ? documentTypeOf(part.total) : 'invoice';
    let document;
    if (latePeriod) {
      // A revision of the invoice bills the same late usage again: the document an earlier
      // revision posted for it stands (it is not voided with that revision's invoice part).
      const earlier = await earlierLatePostings(ctx, posting, invoice);
      const carried = earlier[0];
      if (carried && carried.document_type === type && new Decimal(carried.document_total ?? '0').equals(part.total.abs())) {
        await finish({ status: 'posted', document_type: type, document_id: carried.document_id!, document_number: carried.document_number!, document_total: carried.document_total! });
        return;
      }
      // The late part changed: what the earlier revision posted for it is taken back before the new document goes.
      await takeBackLateDocuments(ctx, poster, earlier, invoice);
      const late = { ...header, latePeriod, reference: `Late usage ${latePeriod} on ${invoice.number}` };
      // A credit note carries what it credits: the adjustment's lines with their sign turned.
      const documentLines: PostingLine[] = type === 'credit_note' ? lines.map((l) => ({ ...l, amount: l.amount.negated() })) : lines;
      document = (await poster.findAdjustment(late, type)) ?? (await poster.createAdjustment(late, type, documentLines, postingKey(invoice.id, posting.part)));
    } else {
      document = (await poster.findInvoice(invoice.number, invoice, header)) ?? (await poster.createInvoice(header, lines, invoiceKey(invoice.id)));
    }
    const expected = part.total.abs();
    if (!document.subTotal.equals(expected)) {
      await finish({ status: 'failed', document_type: type, document_id: document.id, document_number: document.number, document_total: document.subTotal.toString(), last_error: `${system} totals ${document.subTotal.toString()} before tax, the hub's ${posting.part} ${expected.toString()}` });
      return;
    }
    await db.transaction().execute(async (trx) => {
      await finish({ status: 'posted', document_type: type, document_id: document.id, document_number: document.number, document_total: document.subTotal.toFixed(minorUnits(invoice.currency)) }, trx);
      for (const [object, version] of poster.mappingsUsed ?? []) await recordMappingUse(trx, { connectionId: posting.connection_id, object, version, records: 1 });
    });
  } catch (err) {
    if (err instanceof TakeBackRefused) {
      // Not retried: only a person in the ERP can clear it.
      await finish({ status: 'blocked', problems: [{ field: 'earlierRevision', reason: err.message }], last_error: err.message });
      return;
    }
    await finish({ status: 'failed', last_error: (err as Error).message });
    throw err;
  }
}

/** The ERP customer: the identity map first, then the ERP (by the hub id stored on it), then created if the connection allows. */
async function customerInErp(ctx: HubContext, poster: ErpPoster, system: ErpSystem, connectionId: string, customer: { id: string; name: string }): Promise<string | undefined> {
  const linked = await externalIdOf(ctx.db, 'customer', customer.id, system);
  if (linked) return linked;
  let ref = await poster.findCustomer({ hubCustomerId: customer.id, name: customer.name });
  if (!ref) {
    const connection = await ctx.db.selectFrom('connections').select('settings').where('id', '=', connectionId).executeTakeFirstOrThrow();
    const allowed = (connection.settings as Record<string, unknown>).createMissingCustomers;
    if (allowed !== true && allowed !== 'true') return undefined;
    ref = await poster.createCustomer({ hubCustomerId: customer.id, name: customer.name }, customerKey(customer.id));
  }
  await ctx.db
    .insertInto('external_links')
    .values({ entity: 'customer', entity_id: customer.id, system, external_id: ref })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return ref;
}

/**
 * Takes back the documents earlier revisions of this invoice left in the ERP (the new
 * revision replaces them). The ERP is read first: a document nobody paid is voided; one
 * paid in part or whole can no longer be voided, so a credit note reverses it and is
 * applied to what it still owes; one already voided in the ERP is left as it is.
 */
async function replaceEarlierRevisions(ctx: HubContext, poster: ErpPoster, system: ErpSystem, invoice: { customer_id: string; period: string; revision: number; issued_at: Date; currency: string }): Promise<void> {
  const earlier = await ctx.db
    .selectFrom('erp_postings as p')
    .innerJoin('invoices as i', 'i.id', 'p.invoice_id')
    .select(['p.id', 'p.invoice_id', 'p.document_id', 'i.number'])
    .where('p.system', '=', system)
    .where('p.status', '=', 'posted')
    .where('p.part', '=', INVOICE_PART)
    .where('i.customer_id', '=', invoice.customer_id)
    .where('i.period', '=', invoice.period)
    .where('i.revision', '<', invoice.revision)
    .execute();
  for (const prior of earlier) {
    const state = prior.document_id ? await poster.readInvoiceState(prior.document_id) : undefined;
    const ledger = state ? { erp_status: state.status, amount_paid: state.amountPaid.toFixed(minorUnits(invoice.currency)), erp_status_at: new Date() } : {};
    if (prior.document_id && state && state.status !== 'voided_in_erp' && state.amountPaid.gt(0)) {
      const credit = await poster.creditInvoice(prior.document_id, { number: prior.number }, invoice.issued_at.toISOString().slice(0, 10), creditKey(prior.invoice_id));
      await ctx.db
        .updateTable('erp_postings')
        .set({ status: 'credited', credited_at: new Date(), credit_document_id: credit.id, credit_document_number: credit.number, credit_total: credit.subTotal.toFixed(minorUnits(invoice.currency)), ...ledger })
        .where('id', '=', prior.id)
        .execute();
      continue;
    }
    if (prior.document_id && state?.status !== 'voided_in_erp') await poster.voidInvoice(prior.document_id, voidKey(prior.invoice_id));
    await ctx.db
      .updateTable('erp_postings')
      .set({ status: 'voided', voided_at: new Date(), ...(state?.status === 'voided_in_erp' ? ledger : {}) })
      .where('id', '=', prior.id)
      .execute();
  }
}

/**
 * The late documents earlier revisions of this invoice posted and nobody took back yet,
 * newest revision first: of the posting's own late part, or (for the invoice part) of
 * every late part. A revision that carried a document on points at the same one.
 */
async function earlierLatePostings(ctx: HubContext, posting: { system: string; connection_id: string; part: string }, invoice: { customer_id: string; period: string; revision: number }) {
  let query = ctx.db
    .selectFrom('erp_postings as p')
    .innerJoin('invoices as i', 'i.id', 'p.invoice_id')
    .select(['p.id', 'p.part', 'p.invoice_id', 'p.document_id', 'p.document_number', 'p.document_total', 'p.document_type', 'i.number'])
    .where('p.system', '=', posting.system)
    .where('p.connection_id', '=', posting.connection_id)
    .where('p.status', '=', 'posted')
    .where('i.customer_id', '=', invoice.customer_id)
    .where('i.period', '=', invoice.period)
    .where('i.revision', '<', invoice.revision);
  query = posting.part === INVOICE_PART ? query.where('p.part', '<>', INVOICE_PART) : query.where('p.part', '=', posting.part);
  return query.orderBy('i.revision', 'desc').execute();
}

/** An earlier document the hub cannot take back itself. */
class TakeBackRefused extends Error {}

type LatePosting = Awaited<ReturnType<typeof earlierLatePostings>>[number];

/**
 * Takes back earlier late documents by the rule of the invoice's own (replaceEarlierRevisions):
 * voided when nothing was paid on it in the ERP, credited when it was paid in part or
 * whole, left as it is when someone voided it there. Keyed by the revision that first
 * posted it, so a re-run or a lost answer meets the same void or credit note. A late
 * credit note an earlier revision posted is not taken back by the hub: the posting stops
 * and says which one to void in the ERP.
 */
async function takeBackLateDocuments(ctx: HubContext, poster: ErpPoster, earlier: readonly LatePosting[], invoice: { issued_at: Date; currency: string }): Promise<void> {
  const documents = new Map<string, LatePosting[]>();
  for (const row of earlier) {
    if (!row.document_id) continue;
    documents.set(row.document_id, [...(documents.get(row.document_id) ?? []), row]);
  }
  for (const [documentId, rows] of documents) {
    // The oldest row made the document; its keys are the ones a first attempt used.
    const first = rows[rows.length - 1]!;
    const latePeriod = latePeriodOf(first.part)!;
    const ids = rows.map((r) => r.id);
    if (first.document_type === 'credit_note') {
      throw new TakeBackRefused(`the late credit note ${first.document_number} an earlier revision posted is not taken back by the hub: void it in the ERP, then post again`);
    }
    const state = await poster.readInvoiceState(documentId);
    const ledger = { erp_status: state.status, amount_paid: state.amountPaid.toFixed(minorUnits(invoice.currency)), erp_status_at: new Date() };
    if (state.status !== 'voided_in_erp' && state.amountPaid.gt(0)) {
      const credit = await poster.creditInvoice(documentId, { number: first.number, latePeriod }, invoice.issued_at.toISOString().slice(0, 10), lateCreditKey(first.invoice_id, latePeriod));
      await ctx.db
        .updateTable('erp_postings')
        .set({ status: 'credited', credited_at: new Date(), credit_document_id: credit.id, credit_document_number: credit.number, credit_total: credit.subTotal.toFixed(minorUnits(invoice.currency)), ...ledger })
        .where('id', 'in', ids)
        .execute();
      continue;
    }
    if (state.status !== 'voided_in_erp') await poster.voidInvoice(documentId, lateVoidKey(first.invoice_id, latePeriod));
    await ctx.db
      .updateTable('erp_postings')
      .set({ status: 'voided', voided_at: new Date(), ...(state.status === 'voided_in_erp' ? ledger : {}) })
      .where('id', 'in', ids)
      .execute();
  }
}
