import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { writeAudit } from '../../db/audit.ts';
import type { HubContext } from '../../context.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, notFound } from '../problem.ts';
import { IsoDate, Uuid } from '../wire-types.ts';

// A seat change a person makes (asked of Microsoft through the hub, or recorded after
// making it in Partner Center), stored as a manual subscription event naming who asked.
// The seat reconciliation carries that person onto the PSA to-do it causes, and the
// approval of that to-do is then refused to them (separation of duties).

const SeatChange = Type.Object(
  {
    id: Uuid,
    subscriptionId: Uuid,
    type: Type.Union([Type.Literal('add'), Type.Literal('remove')]),
    quantityBefore: Type.Integer(),
    quantityAfter: Type.Integer(),
    effectiveDate: IsoDate,
    requestedBy: Type.String({ description: 'key:<api key id> of the person who made the change; that key cannot approve the PSA to-do it causes' }),
    reason: Type.String(),
  },
  { $id: 'SeatChange' },
);

export function seatChangeRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(SeatChange);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/v1/subscriptions/:id/seat-changes',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops'] } },
      schema: {
        tags: ['psa'],
        summary: "Record a person's seat change on a licence subscription: the new seat count, effective date and why (the PSA to-do it causes cannot be approved by the same key)",
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            quantity: Type.Integer({ minimum: 0, description: 'The seat count after the change' }),
            effectiveDate: IsoDate,
            reason: Type.String({ minLength: 1, maxLength: 2000 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('SeatChange') },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { quantity, effectiveDate, reason } = request.body;
      if (reason.trim() === '') throw badRequest('reason', 'must say why the seats change');
      const saved = await ctx.db.transaction().execute(async (trx) => {
        const sub = await trx.selectFrom('subscriptions').select(['id', 'quantity', 'billing_type']).where('id', '=', request.params.id).forUpdate().executeTakeFirst();
        if (!sub) throw notFound('subscription', request.params.id);
        if (sub.billing_type !== 'license') throw badRequest('id', 'only a licence subscription has seats');
        if (sub.quantity === quantity) throw badRequest('quantity', `the subscription already has ${quantity} seats`);
        const type = quantity > sub.quantity ? 'add' : 'remove';
        const event = await trx
          .insertInto('subscription_events')
          .values({ subscription_id: sub.id, type, effective_date: effectiveDate, quantity_before: sub.quantity, quantity_after: quantity, source: 'manual', detail: JSON.stringify({ actor: actor.actor, reason: reason.trim() }) })
          .returning('id')
          .executeTakeFirstOrThrow();
        await trx.updateTable('subscriptions').set({ quantity }).where('id', '=', sub.id).execute();
        const change = { id: event.id, subscriptionId: sub.id, type, quantityBefore: sub.quantity, quantityAfter: quantity, effectiveDate, requestedBy: actor.actor, reason: reason.trim() } as const;
        await writeAudit(trx, { ...actor, action: 'subscription.seat_change', entity: 'subscription', entityId: sub.id, before: { quantity: sub.quantity }, after: change, justification: reason });
        return change;
      });
      return reply.code(201).send(saved);
    },
  );
}
