import type { Kysely } from 'kysely';
import { Decimal } from '../engine/decimal.ts';
import type { InvoiceLineToPost } from '../mappings/accounting/posting-lines.ts';
import { INVOICE_PART, partOf } from '../mappings/accounting/posting-parts.ts';
import type { Database } from './types.ts';

/** An invoice's lines with their allocated amount per cost node (summed in the database). */
export async function loadInvoiceLinesToPost(db: Kysely<Database>, invoiceId: string): Promise<InvoiceLineToPost[]> {
  const lines = await db
    .selectFrom('invoice_lines')
    .select(['id', 'position', 'kind', 'category', 'sku', 'description', 'quantity', 'amount', 'adjustment_id'])
    .where('invoice_id', '=', invoiceId)
    .orderBy('position')
    .execute();
  const allocations = await db
    .selectFrom('invoice_line_sources as s')
    .innerJoin('invoice_lines as l', 'l.id', 's.invoice_line_id')
    .select(['s.invoice_line_id as lineId', 's.cost_node_id as costNodeId'])
    .select((eb) => eb.fn.sum<string>('s.allocated_amount').as('amount'))
    .where('l.invoice_id', '=', invoiceId)
    .groupBy(['s.invoice_line_id', 's.cost_node_id'])
    .orderBy('s.cost_node_id')
    .execute();
  const byLine = new Map<string, { costNodeId: string; amount: Decimal }[]>();
  for (const a of allocations) {
    const list = byLine.get(a.lineId) ?? [];
    list.push({ costNodeId: a.costNodeId, amount: new Decimal(a.amount) });
    byLine.set(a.lineId, list);
  }
  return lines.map((l) => ({
    id: l.id,
    position: l.position,
    kind: l.kind,
    category: l.category,
    sku: l.sku,
    description: l.description,
    quantity: l.quantity === null ? null : new Decimal(l.quantity),
    amount: new Decimal(l.amount),
    allocations: byLine.get(l.id) ?? [],
    adjustmentId: l.adjustment_id,
  }));
}

/** Per invoice, the late-usage adjustments on it ('late-YYYY-MM'), each posted as a document of its own. */
export async function latePartsOfInvoices(db: Kysely<Database>, invoiceIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (invoiceIds.length === 0) return out;
  const rows = await db
    .selectFrom('invoice_lines')
    .select(['invoice_id', 'adjustment_id'])
    .distinct()
    .where('invoice_id', 'in', invoiceIds)
    .where('adjustment_id', 'is not', null)
    .execute();
  for (const r of rows) {
    const part = partOf({ adjustmentId: r.adjustment_id });
    if (part !== INVOICE_PART) out.set(r.invoice_id, [...(out.get(r.invoice_id) ?? []), part].sort());
  }
  return out;
}
