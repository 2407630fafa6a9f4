import type { Decimal } from './decimal.ts';

/** Microsoft's seats of one SKU for a customer: the sum over its licence subscriptions. */
export interface MicrosoftSeats {
  sku: string;
  /** Seats on active subscriptions; 0 when every subscription of the SKU is cancelled or suspended. */
  quantity: number;
  /** When Partner Center last reported them. */
  asOf: Date | null;
  /** The person (`key:<id>`) whose change in the hub made the latest seat event, when one did. */
  requestedBy: string | null;
}

/** One billed line of the customer's PSA agreement (a ConnectWise addition, an Autotask contract service). */
export interface PsaSeatLine {
  agreementId: string;
  lineId: string;
  product: string;
  quantity: number;
  unitPrice: Decimal | null;
}

export type SeatTodoKind = 'increase' | 'decrease' | 'missing_product' | 'price_differs' | 'cancelled_in_microsoft';

export interface SeatTodo {
  kind: SeatTodoKind;
  sku: string;
  product: string;
  agreementId: string | null;
  lineId: string | null;
  microsoftQuantity: number;
  microsoftAsOf: Date | null;
  psaQuantity: number | null;
  psaUnitPrice: Decimal | null;
  approvedUnitPrice: Decimal | null;
  requestedBy: string | null;
}

export interface SeatReconcileInput {
  microsoft: readonly MicrosoftSeats[];
  psa: readonly PsaSeatLine[];
  /** SKU → PSA product, the admin's mapping. SKUs without one are not compared. */
  productOf: ReadonlyMap<string, string>;
  /** The approved rate card's fixed price per SKU, where it has one. */
  approvedPrice: ReadonlyMap<string, Decimal>;
  /** The agreement a missing product would be added to; null when the customer has none. */
  defaultAgreementId: string | null;
}

/**
 * Where the PSA bills a customer's Microsoft seats differently from what Microsoft
 * bills the partner: one to-do per mapped SKU. Quantity first (increase, decrease, or
 * cancelled in Microsoft but still billed), then a missing product, then a price that
 * differs from the approved rate card. Several PSA lines of one product count together
 * (their sum is compared); a change is proposed on the first of them.
 *
 * @example
 * reconcileSeats({ microsoft: [{ sku: 'CFQ7TTC0LCHC:0002', quantity: 25, asOf, requestedBy: null }],
 *   psa: [{ agreementId: '501', lineId: '7001', product: 'M365-BP', quantity: 20, unitPrice: new Decimal(22) }],
 *   productOf: new Map([['CFQ7TTC0LCHC:0002', 'M365-BP']]), approvedPrice: new Map(), defaultAgreementId: '501' })
 * // [{ kind: 'increase', microsoftQuantity: 25, psaQuantity: 20, lineId: '7001', ... }]
 */
export function reconcileSeats(input: SeatReconcileInput): SeatTodo[] {
  const todos: SeatTodo[] = [];
  const seatsOf = new Map(input.microsoft.map((m) => [m.sku, m]));
  for (const [sku, product] of [...input.productOf].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ms = seatsOf.get(sku);
    const lines = input.psa.filter((l) => l.product === product);
    const psaQuantity = lines.reduce((sum, l) => sum + l.quantity, 0);
    const first = lines[0];
    const approved = input.approvedPrice.get(sku) ?? null;
    const base = {
      sku,
      product,
      agreementId: first?.agreementId ?? input.defaultAgreementId,
      lineId: first?.lineId ?? null,
      microsoftQuantity: ms?.quantity ?? 0,
      microsoftAsOf: ms?.asOf ?? null,
      psaQuantity: first ? psaQuantity : null,
      psaUnitPrice: first?.unitPrice ?? null,
      approvedUnitPrice: approved,
      requestedBy: ms?.requestedBy ?? null,
    };
    if (!ms && !first) continue;
    if (!first) {
      if (ms!.quantity > 0) todos.push({ ...base, kind: 'missing_product' });
      continue;
    }
    if (!ms || ms.quantity === 0) {
      if (psaQuantity > 0) todos.push({ ...base, kind: 'cancelled_in_microsoft' });
      continue;
    }
    if (ms.quantity > psaQuantity) todos.push({ ...base, kind: 'increase' });
    else if (ms.quantity < psaQuantity) todos.push({ ...base, kind: 'decrease' });
    else if (approved && (!first.unitPrice || !first.unitPrice.equals(approved))) todos.push({ ...base, kind: 'price_differs' });
  }
  return todos;
}
