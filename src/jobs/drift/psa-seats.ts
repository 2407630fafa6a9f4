import type { HubContext } from '../../context.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import type { FieldOwner } from '../../db/field-owners.ts';
import { replaceOpenTodos } from '../../db/psa-todos.ts';
import { Decimal } from '../../engine/decimal.ts';
import { minorUnits } from '../../engine/money.ts';
import { seatDrift } from '../../engine/seat-drift.ts';
import { reconcileSeats, type SeatTodoKind } from '../../engine/seat-reconcile.ts';
import { seatWriteFor } from '../../mappings/connectwise/seat-write.ts';
import { connectwiseClientFor } from '../connectwise/client-for-connection.ts';
import { psaSeatLines } from '../connectwise/seat-reconcile.ts';
import { approvedPrices, microsoftSeats, productMapping } from '../psa/seat-inputs.ts';
import { closeUncompared, keepFinding, type DriftRunSummary } from './findings.ts';

export const PSA_SEATS_FIELD = 'psa.agreement_quantity';

/** The seat to-do kinds that are a quantity difference on an existing agreement line. */
const QUANTITY_KINDS: readonly SeatTodoKind[] = ['increase', 'decrease', 'cancelled_in_microsoft'];

/** A PSA seat quantity finding: the agreement line it is about, and the to-do whose approval corrects it. */
export interface PsaSeatRef {
  object: 'agreement_additions';
  kind: 'psa-seat-quantity';
  sku: string;
  product: string;
  agreementId: string;
  additionId: string;
  hubQuantity: string;
  psaQuantity: string;
  unitPrice: string | null;
  todoId: string | null;
}

/**
 * Compares the hub's seats (Microsoft's, per mapped SKU) with the quantity each linked
 * ConnectWise company's agreement additions bill for that SKU's product; each difference
 * is one finding, worth |difference| × the addition's unit price a month. The seat
 * to-do queue is kept current in the same step (the same comparison the reconcile job
 * makes), so every finding names the to-do whose approval writes the PSA: the hub never
 * writes agreement quantities outside that queue.
 */
export async function comparePsaSeats(ctx: HubContext, owners: ReadonlyMap<string, FieldOwner>, today: string, summary: DriftRunSummary): Promise<void> {
  const owner = owners.get(PSA_SEATS_FIELD)?.owner ?? 'hub';
  for (const connection of await activeConnections(ctx, 'connectwise')) {
    const seen = new Set<string>();
    try {
      const { client } = await connectwiseClientFor(ctx, connection.id);
      const productOf = await productMapping(ctx, connection.id);
      const links = await ctx.db
        .selectFrom('external_links as l')
        .innerJoin('customers as c', 'c.id', 'l.entity_id')
        .select(['l.entity_id as customerId', 'l.external_id as companyId', 'c.billing_currency as currency'])
        .where('l.entity', '=', 'customer')
        .where('l.system', '=', 'connectwise')
        .orderBy('l.external_id')
        .execute();
      for (const link of links) {
        const { lines, defaultAgreementId } = await psaSeatLines(client, link.companyId);
        const todos = reconcileSeats({ microsoft: await microsoftSeats(ctx, link.customerId), psa: lines, productOf, approvedPrice: await approvedPrices(ctx, link.customerId, today), defaultAgreementId });
        await ctx.db.transaction().execute((trx) => replaceOpenTodos(trx, connection.id, link.customerId, todos, (t) => seatWriteFor(t, today)));
        const queued = await ctx.db.selectFrom('psa_todos').select(['id', 'sku']).where('connection_id', '=', connection.id).where('customer_id', '=', link.customerId).where('status', 'in', ['open', 'approved']).execute();
        for (const [sku, product] of productOf) {
          const billed = lines.filter((l) => l.product === product);
          if (billed.length === 0) continue;
          const key = `${connection.id}:${link.customerId}:${PSA_SEATS_FIELD}:sku:${sku}`;
          seen.add(key);
          const todo = todos.find((t) => t.sku === sku && QUANTITY_KINDS.includes(t.kind));
          if (!todo) {
            await keepFinding(ctx, key, null, summary);
            continue;
          }
          const first = billed[0]!;
          const psaQuantity = new Decimal(todo.psaQuantity ?? 0);
          const hubQuantity = new Decimal(todo.microsoftQuantity);
          const drift = first.unitPrice ? seatDrift(hubQuantity, psaQuantity, first.unitPrice, link.currency) : null;
          const hubSide = { value: hubQuantity.toString(), seenAt: todo.microsoftAsOf };
          const psaSide = { value: psaQuantity.toString(), seenAt: billed.reduce<Date | null>((latest, l) => (l.updatedAt && (!latest || l.updatedAt > latest) ? l.updatedAt : latest), null) };
          const [ownerSide, otherSide] = owner === 'psa' ? [psaSide, hubSide] : [hubSide, psaSide];
          const ref: PsaSeatRef = {
            object: 'agreement_additions',
            kind: 'psa-seat-quantity',
            sku,
            product,
            agreementId: first.agreementId,
            additionId: first.lineId,
            hubQuantity: hubSide.value,
            psaQuantity: psaSide.value,
            unitPrice: first.unitPrice?.toString() ?? null,
            todoId: queued.find((q) => q.sku === sku)?.id ?? null,
          };
          await keepFinding(
            ctx,
            key,
            {
              connectionId: connection.id,
              customerId: link.customerId,
              system: 'connectwise',
              field: PSA_SEATS_FIELD,
              subject: `sku:${sku}`,
              owner,
              ownerValue: ownerSide.value,
              ownerSeenAt: ownerSide.seenAt,
              otherValue: otherSide.value,
              otherSeenAt: otherSide.seenAt,
              moneyAtStake: drift ? drift.moneyAtStake.toFixed(minorUnits(link.currency)) : null,
              currency: drift ? link.currency : null,
              vendorRef: { ...ref },
            },
            summary,
          );
        }
      }
    } catch (err) {
      // One unreachable PSA must not hide the drift of the others; the next run tries again.
      ctx.logger.warn({ err, connectionId: connection.id }, 'drift: PSA seats skipped');
      continue;
    }
    await closeUncompared(ctx, connection.id, [PSA_SEATS_FIELD], seen, 'the SKU is no longer billed on an agreement (mapping, link or addition changed)', summary);
  }
}
