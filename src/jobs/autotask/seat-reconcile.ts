import type { HubContext } from '../../context.ts';
import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import { replaceOpenTodos, type TodoCounts } from '../../db/psa-todos.ts';
import { reconcileSeats } from '../../engine/seat-reconcile.ts';
import { seatWriteFor } from '../../mappings/autotask/seat-write.ts';
import { enqueueJob } from '../enqueue.ts';
import { approvedPrices, microsoftSeats, productMapping } from '../psa/seat-inputs.ts';
import { autotaskClientFor } from './client-for-connection.ts';
import { psaSeatLines } from './seat-lines.ts';

export const AUTOTASK_SEAT_RECONCILE_TASK = 'autotask:reconcile_seats';

export interface AutotaskSeatReconcilePayload {
  connectionId: string;
}

export async function enqueueAutotaskSeatReconcile(ctx: Pick<HubContext, 'db'>, connectionId: string): Promise<void> {
  await enqueueJob(ctx.db, AUTOTASK_SEAT_RECONCILE_TASK, { connectionId }, { jobKey: `${AUTOTASK_SEAT_RECONCILE_TASK}:${connectionId}`, jobKeyMode: 'preserve_run_at' });
}

/**
 * `autotask:reconcile_seats`: for each customer linked to an Autotask company, compares
 * Microsoft's seats per mapped SKU (the mapping's product is the Autotask service id)
 * with the units its Recurring Service contracts bill today, and keeps one to-do per
 * difference, each with the ContractServiceAdjustment approving it would make. Writes
 * nothing to Autotask.
 */
export async function reconcileAutotaskSeats(payload: AutotaskSeatReconcilePayload, ctx: HubContext, options: { client?: AutotaskClient; today?: string } = {}): Promise<TodoCounts> {
  const client = options.client ?? (await autotaskClientFor(ctx, payload.connectionId)).client;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const productOf = await productMapping(ctx, payload.connectionId);
  const links = await ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').where('system', '=', 'autotask').orderBy('external_id').execute();
  const total: TodoCounts = { created: 0, kept: 0, superseded: 0 };
  for (const link of links) {
    const customerId = link.entity_id;
    const { lines, contractIds } = await psaSeatLines(client, link.external_id, today);
    const todos = reconcileSeats({
      microsoft: await microsoftSeats(ctx, customerId),
      psa: lines,
      productOf,
      approvedPrice: await approvedPrices(ctx, customerId, today),
      defaultAgreementId: contractIds.length === 0 ? null : String(contractIds[0]),
    });
    const counts = await ctx.db.transaction().execute((trx) => replaceOpenTodos(trx, payload.connectionId, customerId, todos, (t) => seatWriteFor(t, today, contractIds)));
    total.created += counts.created;
    total.kept += counts.kept;
    total.superseded += counts.superseded;
  }
  return total;
}
