import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { ConnectWiseClient } from '../../connectors/connectwise/client.ts';
import { and, eq } from '../../connectors/connectwise/conditions.ts';
import type { Agreement, AgreementAddition } from '../../connectors/connectwise/types.ts';
import { replaceOpenTodos, type TodoCounts } from '../../db/psa-todos.ts';
import { loadEffectiveRateCard } from '../../db/rate-cards.ts';
import { Decimal } from '../../engine/decimal.ts';
import { reconcileSeats, type MicrosoftSeats, type PsaSeatLine } from '../../engine/seat-reconcile.ts';
import { seatWriteFor } from '../../mappings/connectwise/seat-write.ts';
import { enqueueJob } from '../enqueue.ts';
import { connectwiseClientFor } from './client-for-connection.ts';

export const SEAT_RECONCILE_TASK = 'connectwise:reconcile_seats';

export interface SeatReconcilePayload {
  connectionId: string;
}

export async function enqueueSeatReconcile(ctx: Pick<HubContext, 'db'>, connectionId: string): Promise<void> {
  await enqueueJob(ctx.db, SEAT_RECONCILE_TASK, { connectionId }, { jobKey: `${SEAT_RECONCILE_TASK}:${connectionId}`, jobKeyMode: 'preserve_run_at' });
}

/**
 * Microsoft's seats per SKU for a customer, from the licence subscriptions Partner Center
 * reported (active ones count; a SKU whose subscriptions are all cancelled or suspended
 * has 0), with the person whose hub change made the latest seat event, if one did.
 */
async function microsoftSeats(ctx: HubContext, customerId: string): Promise<MicrosoftSeats[]> {
  const rows = await sql<{ sku: string; quantity: string; as_of: Date | null; requested_by: string | null }>`
    select s.offer_id as sku,
           sum(case when s.status = 'active' then s.quantity else 0 end)::text as quantity,
           max(s.last_synced_at) as as_of,
           (select e.detail->>'actor' from subscription_events e join subscriptions s2 on s2.id = e.subscription_id
             where s2.customer_id = ${customerId}::uuid and s2.offer_id = s.offer_id order by e.created_at desc limit 1
           ) as requested_by
    from subscriptions s
    where s.customer_id = ${customerId}::uuid and s.billing_type = 'license' and s.offer_id is not null
    group by s.offer_id`.execute(ctx.db);
  return rows.rows.map((r) => ({ sku: r.sku, quantity: Number(r.quantity), asOf: r.as_of, requestedBy: r.requested_by?.startsWith('key:') ? r.requested_by : null }));
}

/** The company's active agreements and their additions not cancelled. */
async function psaSeatLines(client: ConnectWiseClient, companyId: string): Promise<{ lines: PsaSeatLine[]; defaultAgreementId: string | null }> {
  const lines: PsaSeatLine[] = [];
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
  const mappings = await ctx.db.selectFrom('psa_product_mappings').select(['sku', 'product']).where('connection_id', '=', payload.connectionId).execute();
  const productOf = new Map(mappings.map((m) => [m.sku, m.product]));
  const links = await ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').where('system', '=', 'connectwise').orderBy('external_id').execute();
  const total: TodoCounts = { created: 0, kept: 0, superseded: 0 };
  for (const link of links) {
    const customerId = link.entity_id;
    const card = await loadEffectiveRateCard(ctx.db, customerId, today);
    const approvedPrice = new Map<string, Decimal>();
    for (const rule of card?.rules ?? []) if ('sku' in rule.match && rule.unitPrice) approvedPrice.set(rule.match.sku, rule.unitPrice);
    const { lines, defaultAgreementId } = await psaSeatLines(client, link.external_id);
    const todos = reconcileSeats({ microsoft: await microsoftSeats(ctx, customerId), psa: lines, productOf, approvedPrice, defaultAgreementId });
    const counts = await ctx.db.transaction().execute((trx) => replaceOpenTodos(trx, payload.connectionId, customerId, todos, (t) => seatWriteFor(t, today)));
    total.created += counts.created;
    total.kept += counts.kept;
    total.superseded += counts.superseded;
  }
  return total;
}
