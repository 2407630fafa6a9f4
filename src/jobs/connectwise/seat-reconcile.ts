import type { HubContext } from '../../context.ts';
import type { ConnectWiseClient } from '../../connectors/connectwise/client.ts';
import { and, eq } from '../../connectors/connectwise/conditions.ts';
import type { Agreement, AgreementAddition } from '../../connectors/connectwise/types.ts';
import { replaceOpenTodos, type TodoCounts } from '../../db/psa-todos.ts';
import { Decimal } from '../../engine/decimal.ts';
import { reconcileSeats, type PsaSeatLine } from '../../engine/seat-reconcile.ts';
import { seatWriteFor } from '../../mappings/connectwise/seat-write.ts';
import { enqueueJob } from '../enqueue.ts';
import { approvedPrices, microsoftSeats, productMapping } from '../psa/seat-inputs.ts';
import { connectwiseClientFor } from './client-for-connection.ts';

export const SEAT_RECONCILE_TASK = 'connectwise:reconcile_seats';

export interface SeatReconcilePayload {
  connectionId: string;
}

export async function enqueueSeatReconcile(ctx: Pick<HubContext, 'db'>, connectionId: string): Promise<void> {
  await enqueueJob(ctx.db, SEAT_RECONCILE_TASK, { connectionId }, { jobKey: `${SEAT_RECONCILE_TASK}:${connectionId}`, jobKeyMode: 'preserve_run_at' });
}

/** The company's active agreements and their additions not cancelled, each with when ConnectWise last changed it. */
export async function psaSeatLines(client: ConnectWiseClient, companyId: string): Promise<{ lines: (PsaSeatLine & { updatedAt: Date | null })[]; defaultAgreementId: string | null }> {
  const lines: (PsaSeatLine & { updatedAt: Date | null })[] = [];
  let defaultAgreementId: string | null = null;
  const conditions = and(eq('company/id', Number(companyId)), eq('agreementStatus', 'Active'));
  for await (const page of client.pages<Agreement>('finance.agreements.list', 'finance/agreements', { conditions })) {
    for (const agreement of page.items) {
      defaultAgreementId ??= String(agreement.id);
      for await (const additions of client.pages<AgreementAddition>('finance.agreements.additions.list', `finance/agreements/${agreement.id}/additions`)) {
        for (const a of additions.items) {
          if (a.cancelledDate) continue;
          lines.push({
            agreementId: String(agreement.id),
            lineId: String(a.id),
            product: String(a.product.identifier ?? a.product.id),
            quantity: Number(a.quantity),
            unitPrice: a.unitPrice === null || a.unitPrice === undefined ? null : new Decimal(a.unitPrice),
            updatedAt: a._info?.lastUpdated ? new Date(a._info.lastUpdated) : null,
          });
        }
      }
    }
  }
  return { lines, defaultAgreementId };
}

/**
 * `connectwise:reconcile_seats`: for each customer linked to a ConnectWise company,
 * compares Microsoft's seats per mapped SKU with the company's agreement additions and
 * keeps one to-do per difference, each with the write approving it would make. Writes
 * nothing to ConnectWise.
 */
export async function reconcileConnectWiseSeats(payload: SeatReconcilePayload, ctx: HubContext, options: { client?: ConnectWiseClient; today?: string } = {}): Promise<TodoCounts> {
  const client = options.client ?? (await connectwiseClientFor(ctx, payload.connectionId)).client;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const productOf = await productMapping(ctx, payload.connectionId);
  const links = await ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').where('system', '=', 'connectwise').orderBy('external_id').execute();
  const total: TodoCounts = { created: 0, kept: 0, superseded: 0 };
  for (const link of links) {
    const customerId = link.entity_id;
    const approvedPrice = await approvedPrices(ctx, customerId, today);
    const { lines, defaultAgreementId } = await psaSeatLines(client, link.external_id);
    const todos = reconcileSeats({ microsoft: await microsoftSeats(ctx, customerId), psa: lines, productOf, approvedPrice, defaultAgreementId });
    const counts = await ctx.db.transaction().execute((trx) => replaceOpenTodos(trx, payload.connectionId, customerId, todos, (t) => seatWriteFor(t, today)));
    total.created += counts.created;
    total.kept += counts.kept;
    total.superseded += counts.superseded;
  }
  return total;
}
