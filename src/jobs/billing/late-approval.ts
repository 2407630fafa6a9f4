import type { Transaction } from 'kysely';
import { loadApprovalThresholds, thresholdFor } from '../../db/invoice-adjustments.ts';
import type { Db } from '../../db/database.ts';
import type { Database } from '../../db/types.ts';
import { Decimal, sum } from '../../engine/decimal.ts';
import { minorUnits } from '../../engine/money.ts';
import type { Invoice } from '../../engine/types.ts';

// Late usage, and late labour (PSA entries of a closed period changed since), above the
// approval threshold is billed only once finance approved that amount for that period
// (four eyes, like credits and write-offs). Until then the close leaves the period's late
// lines or entries waiting, unbilled, and asks for the approval.

export type LateKind = 'late_usage' | 'late_labour';

export interface HeldLateAdjustment {
  kind: LateKind;
  period: string;
  /** The adjustment's amount on the invoice, signed, in the invoice currency. */
  amount: string;
  currency: string;
  threshold: string;
}

/** The magnitude an approval is for: an adjustment of −600 and one of +600 both need approving 600. */
const magnitude = (amount: Decimal, currency: string) => amount.abs().toFixed(minorUnits(currency));

/** Late labour lines are labour lines carrying an adjustment; every other adjustment line is late usage. */
const kindOf = (line: Invoice['lines'][number]): LateKind => (line.kind === 'labour' ? 'late_labour' : 'late_usage');

/**
 * Of the late adjustments of `kind` on `invoice`, those above the threshold that no
 * approved adjustment of that kind for the same customer, period and amount covers.
 */
export async function lateAdjustmentsToHold(db: Db, customerId: string, invoice: Invoice, kind: LateKind = 'late_usage'): Promise<HeldLateAdjustment[]> {
  const byPeriod = new Map<string, Decimal[]>();
  for (const line of invoice.lines) {
    if (line.adjustment && kindOf(line) === kind) byPeriod.set(line.adjustment.originalPeriod, [...(byPeriod.get(line.adjustment.originalPeriod) ?? []), line.amount]);
  }
  if (byPeriod.size === 0) return [];
  const threshold = thresholdFor((await loadApprovalThresholds(db)).value, invoice.currency);
  const held: HeldLateAdjustment[] = [];
  for (const [period, amounts] of byPeriod) {
    const amount = sum(amounts);
    if (amount.abs().lte(threshold)) continue;
    const approved = await db
      .selectFrom('invoice_adjustments')
      .select('id')
      .where('customer_id', '=', customerId)
      .where('kind', '=', kind)
      .where('period', '=', period)
      .where('currency', '=', invoice.currency)
      .where('amount', '=', magnitude(amount, invoice.currency))
      .where('status', '=', 'approved')
      .executeTakeFirst();
    if (!approved) held.push({ kind, period, amount: amount.toFixed(minorUnits(invoice.currency)), currency: invoice.currency, threshold: threshold.toString() });
  }
  return held;
}

/**
 * Ask for approval of each held adjustment, once per amount: a pending or rejected request
 * for the same customer, period and amount stands (a rejection is not asked again).
 * The requester is whoever started the close, so that key cannot approve it.
 */
export async function requestLateApprovals(trx: Transaction<Database>, customerId: string, requestedBy: string | null, held: readonly HeldLateAdjustment[]): Promise<void> {
  for (const h of held) {
    const amount = magnitude(new Decimal(h.amount), h.currency);
    const existing = await trx
      .selectFrom('invoice_adjustments')
      .select('id')
      .where('customer_id', '=', customerId)
      .where('kind', '=', h.kind)
      .where('period', '=', h.period)
      .where('currency', '=', h.currency)
      .where('amount', '=', amount)
      .executeTakeFirst();
    if (existing) continue;
    const keyId = requestedBy?.startsWith('key:') ? requestedBy.slice(4) : null;
    const key = keyId ? await trx.selectFrom('api_keys').select('id').where('id', '=', keyId).executeTakeFirst() : undefined;
    await trx
      .insertInto('invoice_adjustments')
      .values({
        customer_id: customerId,
        invoice_id: null,
        kind: h.kind,
        period: h.period,
        amount,
        currency: h.currency,
        reason: `${h.kind === 'late_labour' ? 'Late labour' : 'Late usage'} for ${h.period} adds ${h.amount} ${h.currency} to the next invoice, above the approval threshold of ${h.threshold}`,
        status: 'pending',
        approval_required: true,
        threshold: h.threshold,
        requested_by: requestedBy ?? 'system:billing:close_customer',
        requested_key_id: key?.id ?? null,
      })
      .execute();
  }
}
