import type { Decimal } from '../../engine/decimal.ts';

/** Where a posted invoice stands in the ERP's ledger: the hub reads it back after the ERP's webhook. */
export type LedgerStatus = 'open' | 'partly_paid' | 'paid' | 'voided_in_erp';
export const LEDGER_STATUSES: readonly LedgerStatus[] = ['open', 'partly_paid', 'paid', 'voided_in_erp'];

/**
 * The ledger status of an invoice from what the ERP reports: voided wins; money received
 * that leaves nothing owing is paid, some money with a balance left is partly paid.
 *
 * @example ledgerStatusOf({ voided: false, amountPaid: new Decimal('100.00'), balance: new Decimal('109.18') }) // 'partly_paid'
 */
export function ledgerStatusOf(invoice: { voided: boolean; amountPaid: Decimal; balance: Decimal }): LedgerStatus {
  if (invoice.voided) return 'voided_in_erp';
  if (invoice.amountPaid.isZero()) return 'open';
  return invoice.balance.isZero() ? 'paid' : 'partly_paid';
}
