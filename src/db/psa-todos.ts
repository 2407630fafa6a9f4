import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { writeAudit } from './audit.ts';
import type { SeatTodo } from '../engine/seat-reconcile.ts';
import type { Database } from './types.ts';

export interface TodoCounts {
  created: number;
  kept: number;
  superseded: number;
}

/** Equal when a later reconciliation finds the very same difference: the to-do stays as it is. */
export function todoFingerprint(t: SeatTodo): string {
  return createHash('sha256')
    .update(JSON.stringify([t.kind, t.sku, t.product, t.agreementId, t.lineId, t.microsoftQuantity, t.psaQuantity, t.psaUnitPrice?.toString() ?? null, t.approvedUnitPrice?.toString() ?? null]))
    .digest('hex');
}

/**
 * A customer's open to-dos after a reconciliation, inside the caller's transaction: the
 * same difference keeps its item (and any decision on it), a changed one supersedes the
 * open item, a difference that went away supersedes it too. An approved item waiting
 * for its write is left alone: the write reads the PSA back before changing anything.
 */
export async function replaceOpenTodos(
  trx: Transaction<Database>,
  connectionId: string,
  customerId: string,
  todos: readonly SeatTodo[],
  plannedWrite: (t: SeatTodo) => unknown,
): Promise<TodoCounts> {
  const counts: TodoCounts = { created: 0, kept: 0, superseded: 0 };
  const existing = await trx
    .selectFrom('psa_todos')
    .select(['id', 'sku', 'status', 'fingerprint'])
    .where('connection_id', '=', connectionId)
    .where('customer_id', '=', customerId)
    .where('status', 'in', ['open', 'approved'])
    .forUpdate()
    .execute();
  const bySku = new Map(existing.map((e) => [e.sku, e]));
  const seen = new Set<string>();
  for (const t of todos) {
    seen.add(t.sku);
    const fingerprint = todoFingerprint(t);
    const ex = bySku.get(t.sku);
    if (ex && (ex.fingerprint === fingerprint || ex.status === 'approved')) {
      counts.kept++;
      continue;
    }
    if (ex) {
      await trx.updateTable('psa_todos').set({ status: 'superseded' }).where('id', '=', ex.id).execute();
      counts.superseded++;
    }
    await trx
      .insertInto('psa_todos')
      .values({
        connection_id: connectionId,
        customer_id: customerId,
        kind: t.kind,
        sku: t.sku,
        product: t.product,
        agreement_id: t.agreementId,
        addition_id: t.lineId,
        microsoft_quantity: String(t.microsoftQuantity),
        microsoft_as_of: t.microsoftAsOf,
        psa_quantity: t.psaQuantity === null ? null : String(t.psaQuantity),
        psa_unit_price: t.psaUnitPrice?.toString() ?? null,
        approved_unit_price: t.approvedUnitPrice?.toString() ?? null,
        planned_write: JSON.stringify(plannedWrite(t)),
        fingerprint,
        requested_by: t.requestedBy,
      })
      .execute();
    counts.created++;
  }
  const gone = existing.filter((e) => e.status === 'open' && !seen.has(e.sku)).map((e) => e.id);
  if (gone.length > 0) {
    await trx.updateTable('psa_todos').set({ status: 'superseded' }).where('id', 'in', gone).execute();
    counts.superseded += gone.length;
  }
  return counts;
}

/**
 * Marks an approved to-do written (once: a second call finds it no longer approved and
 * does nothing) and audits it with the person who approved it, in one transaction.
 */
export async function recordTodoWritten(
  db: Kysely<Database>,
  todo: { id: string; decided_by: string | null; decided_at: Date | null },
  task: string,
  result: { outcome: string; recordId: string | number | null; write: unknown },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('psa_todos')
      .set({ status: 'written', written_at: new Date(), write_result: JSON.stringify(result) })
      .where('id', '=', todo.id)
      .where('status', '=', 'approved')
      .returning('id')
      .executeTakeFirst();
    if (!updated) return;
    await writeAudit(trx, {
      actor: `system:${task}`,
      action: 'psa_todo.write',
      entity: 'psa_todo',
      entityId: todo.id,
      before: { status: 'approved' },
      after: { status: 'written', ...result, approvedBy: todo.decided_by, approvedAt: todo.decided_at },
    });
  });
}
