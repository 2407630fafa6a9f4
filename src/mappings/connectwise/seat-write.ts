import type { SeatTodo } from '../../engine/seat-reconcile.ts';
import type { PatchOperation } from '../../connectors/connectwise/types.ts';

/** The one ConnectWise call an approved to-do makes, as stored with the to-do and shown by the preview. */
export type ConnectWiseSeatWrite =
  | { method: 'PATCH'; path: string; operations: PatchOperation[] }
  | { method: 'POST'; path: string; body: { product: { identifier: string }; quantity: number; unitPrice?: string; billCustomer: 'Billable'; effectiveDate: string } };

/**
 * What approving a to-do writes to ConnectWise: the addition's quantity (PATCH, top-level
 * path), its cancelled date when Microsoft no longer bills the SKU, its unit price when
 * it differs from the approved rate card, or a new addition effective `today`.
 *
 * @example
 * seatWriteFor({ kind: 'increase', agreementId: '501', lineId: '7001', microsoftQuantity: 25, ... }, '2026-12-07')
 * // { method: 'PATCH', path: 'finance/agreements/501/additions/7001', operations: [{ op: 'replace', path: 'quantity', value: 25 }] }
 */
export function seatWriteFor(todo: Pick<SeatTodo, 'kind' | 'agreementId' | 'lineId' | 'product' | 'microsoftQuantity' | 'approvedUnitPrice'>, today: string): ConnectWiseSeatWrite | null {
  if (!todo.agreementId) return null;
  const additions = `finance/agreements/${todo.agreementId}/additions`;
  const effective = `${today}T00:00:00Z`;
  switch (todo.kind) {
    case 'missing_product':
      return {
        method: 'POST',
        path: additions,
        body: {
          product: { identifier: todo.product },
          quantity: todo.microsoftQuantity,
          ...(todo.approvedUnitPrice ? { unitPrice: todo.approvedUnitPrice.toString() } : {}),
          billCustomer: 'Billable',
          effectiveDate: effective,
        },
      };
    case 'increase':
    case 'decrease':
      return { method: 'PATCH', path: `${additions}/${todo.lineId}`, operations: [{ op: 'replace', path: 'quantity', value: todo.microsoftQuantity }] };
    case 'cancelled_in_microsoft':
      return { method: 'PATCH', path: `${additions}/${todo.lineId}`, operations: [{ op: 'replace', path: 'cancelledDate', value: effective }] };
    case 'price_differs':
      return todo.approvedUnitPrice ? { method: 'PATCH', path: `${additions}/${todo.lineId}`, operations: [{ op: 'replace', path: 'unitPrice', value: todo.approvedUnitPrice.toString() }] } : null;
  }
}
