import type { ContractServiceAdjustment } from '../../connectors/autotask/types.ts';
import type { SeatTodo } from '../../engine/seat-reconcile.ts';

/**
 * The one Autotask call an approved to-do makes, as stored with the to-do and shown by
 * the preview. Seats change only through a ContractServiceAdjustment (create only: it
 * cannot be read back), so `expect` says what ContractServiceUnits show once it is
 * taken: the service's units on the company's contracts on the effective date.
 */
export type AutotaskSeatWrite =
  | {
      method: 'POST';
      path: 'ContractServiceAdjustments';
      body: ContractServiceAdjustment;
      expect: { serviceID: number; contractIDs: number[]; on: string; units: number };
    }
  | { method: 'PATCH'; path: 'ContractServices'; body: { id: number; adjustedPrice: string } };

/**
 * What approving a to-do writes to Autotask: a unit change effective `today` on the
 * contract service (signed: +5 for an increase, −units when Microsoft no longer bills
 * the SKU), a new service on the customer's contract when it has none, or the service's
 * adjusted price when it differs from the approved rate card.
 *
 * @example
 * seatWriteFor({ kind: 'increase', agreementId: '501', lineId: '7001', product: '9001', microsoftQuantity: 25, psaQuantity: 20, ... }, '2026-12-07', [501])
 * // { method: 'POST', path: 'ContractServiceAdjustments', body: { contractID: 501, contractServiceID: 7001, serviceID: 9001, effectiveDate: '2026-12-07', unitChange: 5 }, expect: { ..., units: 25 } }
 */
export function seatWriteFor(
  todo: Pick<SeatTodo, 'kind' | 'agreementId' | 'lineId' | 'product' | 'microsoftQuantity' | 'psaQuantity' | 'approvedUnitPrice'>,
  today: string,
  contractIds: readonly number[],
): AutotaskSeatWrite | null {
  if (!todo.agreementId || !/^\d+$/.test(todo.product)) return null;
  const serviceID = Number(todo.product);
  const contractID = Number(todo.agreementId);
  if (todo.kind === 'price_differs') return todo.approvedUnitPrice && todo.lineId ? { method: 'PATCH', path: 'ContractServices', body: { id: Number(todo.lineId), adjustedPrice: todo.approvedUnitPrice.toString() } } : null;
  const target = todo.kind === 'cancelled_in_microsoft' ? 0 : todo.microsoftQuantity;
  const unitChange = target - (todo.psaQuantity ?? 0);
  if (unitChange === 0) return null;
  const body: ContractServiceAdjustment = {
    contractID,
    ...(todo.lineId ? { contractServiceID: Number(todo.lineId) } : {}),
    serviceID,
    effectiveDate: today,
    unitChange,
    ...(todo.kind === 'missing_product' && todo.approvedUnitPrice ? { adjustedUnitPrice: todo.approvedUnitPrice.toString() } : {}),
  };
  const contracts = [...new Set([...contractIds, contractID])].sort((a, b) => a - b);
  return { method: 'POST', path: 'ContractServiceAdjustments', body, expect: { serviceID, contractIDs: contracts, on: today, units: target } };
}
