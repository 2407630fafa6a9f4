import { sql, type Selectable, type Transaction } from 'kysely';
import { Decimal } from '../engine/decimal.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Db } from './database.ts';
import type { Database, InvoiceAdjustmentsTable } from './types.ts';

// Manual credits and write-offs against issued invoices, with the approval threshold.
// An adjustment at or below the threshold of its currency is approved as it is asked
// for; above it, it waits for a finance key other than the requester's.

export const ADJUSTMENT_APPROVAL_KEY = 'adjustments.approval';

/** Until an admin sets one: 500 in whatever currency the invoice is in. */
export const DEFAULT_APPROVAL_THRESHOLD = '500';

export interface ApprovalThresholds {
  /** Adjustments above this amount (in the invoice's currency) need approval. */
  defaultAmount: string;
  /** Per-currency amounts replacing the default (JPY 500 is not USD 500). */
  byCurrency: Record<string, string>;
}

export type AdjustmentRow = Selectable<InvoiceAdjustmentsTable> & { invoice_number: string | null };

export class AdjustmentRefused extends Error {
  readonly kind: 'not_found' | 'conflict' | 'forbidden' | 'invalid';
  readonly field: string | undefined;
  constructor(kind: AdjustmentRefused['kind'], message: string, field?: string) {
    super(message);
    this.kind = kind;
    this.field = field;
  }
}

function thresholdsOf(value: unknown): ApprovalThresholds {
  const v = (value ?? {}) as Partial<ApprovalThresholds>;
  return {
    defaultAmount: typeof v.defaultAmount === 'string' ? v.defaultAmount : DEFAULT_APPROVAL_THRESHOLD,
    byCurrency: v.byCurrency && typeof v.byCurrency === 'object' ? { ...v.byCurrency } : {},
  };
}

export async function loadApprovalThresholds(db: Db | Transaction<Database>): Promise<{ value: ApprovalThresholds; updatedAt: Date | null }> {
  const row = await db.selectFrom('settings').select(['value', 'updated_at']).where('key', '=', ADJUSTMENT_APPROVAL_KEY).executeTakeFirst();
  return { value: thresholdsOf(row?.value), updatedAt: row?.updated_at ?? null };
}

/** Replace the thresholds, audited with before and after, in the caller's transaction. */
export async function saveApprovalThresholds(trx: Transaction<Database>, value: ApprovalThresholds, actor: ActorContext): Promise<{ value: ApprovalThresholds; updatedAt: Date }> {
  await sql`select pg_advisory_xact_lock(hashtext(${`settings:${ADJUSTMENT_APPROVAL_KEY}`}))`.execute(trx);
  const before = await loadApprovalThresholds(trx);
  const row = await trx
    .insertInto('settings')
    .values({ key: ADJUSTMENT_APPROVAL_KEY, value: JSON.stringify(value) })
    .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .returning(['value', 'updated_at'])
    .executeTakeFirstOrThrow();
  await writeAudit(trx, { ...actor, action: 'settings.adjustment_approval.update', entity: 'setting', entityId: ADJUSTMENT_APPROVAL_KEY, before: before.value, after: value });
  return { value: thresholdsOf(row.value), updatedAt: row.updated_at };
}

export function thresholdFor(thresholds: ApprovalThresholds, currency: string): Decimal {
  return new Decimal(thresholds.byCurrency[currency] ?? thresholds.defaultAmount);
}

export interface AdjustmentActor extends ActorContext {
  /** The API key asking or deciding; null for the CLI. */
  keyId: string | null;
}

const selectAdjustment = (db: Db | Transaction<Database>) =>
  db.selectFrom('invoice_adjustments as a').leftJoin('invoices as i', 'i.id', 'a.invoice_id').selectAll('a').select('i.number as invoice_number');

export async function findAdjustment(db: Db | Transaction<Database>, id: string): Promise<AdjustmentRow | undefined> {
  return selectAdjustment(db).where('a.id', '=', id).executeTakeFirst();
}

/**
 * Ask for a credit or write-off. The amount must be in whole minor units of the invoice's
 * currency and fit in what the invoice has left once every pending or approved adjustment
 * against it is counted.
 */
export async function requestAdjustment(
  trx: Transaction<Database>,
  input: { invoiceId: string; kind: 'credit' | 'write_off'; amount: string; reason: string },
  actor: AdjustmentActor,
): Promise<AdjustmentRow> {
  // One request at a time per invoice, so two cannot both fit the same balance.
  await sql`select pg_advisory_xact_lock(hashtext(${`invoice-adjustments:${input.invoiceId}`}))`.execute(trx);
  const invoice = await trx.selectFrom('invoices').select(['id', 'customer_id', 'period', 'status', 'currency', 'minor_units', 'total', 'number']).where('id', '=', input.invoiceId).executeTakeFirst();
  if (!invoice) throw new AdjustmentRefused('invalid', `invoice ${input.invoiceId} does not exist`, 'invoiceId');
  if (invoice.status !== 'issued') throw new AdjustmentRefused('conflict', `invoice ${invoice.number} has been superseded: adjust its current revision`, 'invoiceId');
  const amount = new Decimal(input.amount);
  if (amount.lte(0)) throw new AdjustmentRefused('invalid', 'must be more than zero', 'amount');
  if (amount.decimalPlaces() > invoice.minor_units) {
    throw new AdjustmentRefused('invalid', `must be in whole units of ${invoice.currency} (${invoice.minor_units} decimal places)`, 'amount');
  }
  const taken = await trx
    .selectFrom('invoice_adjustments')
    .select(sql<string>`coalesce(sum(amount), 0)::text`.as('taken'))
    .where('invoice_id', '=', invoice.id)
    .where('status', 'in', ['pending', 'approved'])
    .executeTakeFirstOrThrow();
  const open = new Decimal(invoice.total).minus(taken.taken);
  if (amount.gt(open)) {
    throw new AdjustmentRefused('invalid', `exceeds what invoice ${invoice.number} has left to adjust: ${open.toFixed(invoice.minor_units)} ${invoice.currency}`, 'amount');
  }
  const threshold = thresholdFor((await loadApprovalThresholds(trx)).value, invoice.currency);
  const approvalRequired = amount.gt(threshold);
  const row = await trx
    .insertInto('invoice_adjustments')
    .values({
      customer_id: invoice.customer_id,
      invoice_id: invoice.id,
      kind: input.kind,
      period: invoice.period,
      amount: amount.toFixed(invoice.minor_units),
      currency: invoice.currency,
      reason: input.reason.trim(),
      status: approvalRequired ? 'pending' : 'approved',
      approval_required: approvalRequired,
      threshold: threshold.toString(),
      requested_by: actor.actor,
      requested_key_id: actor.keyId,
      decided_by: approvalRequired ? null : 'system:below_threshold',
      decided_at: approvalRequired ? null : new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await writeAudit(trx, {
    ...actor,
    action: `invoice_adjustment.${input.kind}.request`,
    entity: 'invoice_adjustment',
    entityId: row.id,
    after: { invoiceId: invoice.id, kind: input.kind, amount: amount.toString(), currency: invoice.currency, status: approvalRequired ? 'pending' : 'approved', threshold: threshold.toString() },
    justification: input.reason,
  });
  return (await findAdjustment(trx, row.id))!;
}

/** Approve or reject a pending adjustment: never by the key that asked for it. */
export async function decideAdjustment(
  trx: Transaction<Database>,
  id: string,
  decision: 'approve' | 'reject',
  comment: string | null,
  actor: AdjustmentActor,
): Promise<AdjustmentRow> {
  const row = await trx.selectFrom('invoice_adjustments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new AdjustmentRefused('not_found', `invoice adjustment ${id} does not exist`);
  if (row.status !== 'pending') throw new AdjustmentRefused('conflict', `invoice adjustment ${id} is already ${row.status}`);
  if (actor.keyId === null || row.requested_key_id === actor.keyId || row.requested_by === actor.actor) {
    throw new AdjustmentRefused('forbidden', 'the key that requested an adjustment cannot decide it: another finance key must');
  }
  const status = decision === 'approve' ? 'approved' : 'rejected';
  await trx
    .updateTable('invoice_adjustments')
    .set({ status, decided_by: actor.actor, decided_key_id: actor.keyId, decision_comment: comment, decided_at: new Date() })
    .where('id', '=', id)
    .execute();
  await writeAudit(trx, {
    ...actor,
    action: `invoice_adjustment.${decision}`,
    entity: 'invoice_adjustment',
    entityId: id,
    before: { status: row.status },
    after: { status, amount: row.amount, currency: row.currency, invoiceId: row.invoice_id },
    justification: comment,
  });
  return (await findAdjustment(trx, id))!;
}

/** A page of adjustments, newest first (limit + 1 rows: the caller cuts the page). */
export async function listAdjustments(
  db: Db,
  filter: { status?: string; customerId?: string; invoiceId?: string; before?: { createdAt: Date; id: string }; limit: number },
): Promise<AdjustmentRow[]> {
  let q = selectAdjustment(db);
  if (filter.status) q = q.where('a.status', '=', filter.status);
  if (filter.customerId) q = q.where('a.customer_id', '=', filter.customerId);
  if (filter.invoiceId) q = q.where('a.invoice_id', '=', filter.invoiceId);
  const before = filter.before;
  if (before) q = q.where((eb) => eb(eb.refTuple('a.created_at', 'a.id'), '<', eb.tuple(before.createdAt, before.id)));
  return q.orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(filter.limit + 1).execute();
}
