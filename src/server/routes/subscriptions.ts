import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { IsoDate, Timestamp, Uuid } from '../wire-types.ts';

// A customer's licence and plan subscriptions as the last sync stored them: what a client
// checks its seats and renewal dates against. Prices are not here (they are the rate
// card's, on invoices), so a portal key may read the whole record.

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Subscription = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    name: Type.String({ description: 'The friendly name, else the offer name, else the offer id' }),
    offerName: Nullable(Type.String()),
    skuId: Nullable(Type.String()),
    quantity: Type.Integer({ description: 'Seats (licences), or 1 for a usage plan' }),
    unitType: Nullable(Type.String()),
    status: Type.String({ examples: ['active', 'suspended', 'deleted'] }),
    billingCycle: Nullable(Type.String({ examples: ['monthly', 'annual'] })),
    termDuration: Nullable(Type.String({ examples: ['P1M', 'P1Y'] })),
    autoRenew: Nullable(Type.Boolean()),
    isTrial: Type.Boolean(),
    startDate: Nullable(IsoDate),
    renewalDate: Nullable(Type.String({ format: 'date', description: "The term's end (Microsoft's commitmentEndDate): it renews or ends then" })),
    lastSyncedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { $id: 'Subscription' },
);

const isoDay = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : null);

export function subscriptionRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(Subscription);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/customers/:id/subscriptions',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'], customerParam: 'id' } },
      schema: {
        tags: ['customers'],
        summary: "The customer's subscriptions with seats and renewal dates, newest first",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Type.String({ maxLength: 40, description: 'Only subscriptions in this status (active, suspended, …)' })) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('Subscription')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('subscriptions').selectAll().where('customer_id', '=', request.params.id);
      if (status) q = q.where('status', '=', status);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.rows.map((s) => ({
          id: s.id,
          customerId: s.customer_id,
          name: s.friendly_name?.trim() || s.offer_name?.trim() || s.offer_id || s.id,
          offerName: s.offer_name,
          skuId: s.sku_id,
          quantity: s.quantity,
          unitType: s.unit_type,
          status: s.status,
          billingCycle: s.billing_cycle,
          termDuration: s.term_duration,
          autoRenew: s.auto_renew,
          isTrial: s.is_trial,
          startDate: isoDay(s.effective_start_date),
          renewalDate: isoDay(s.commitment_end_date),
          lastSyncedAt: s.last_synced_at?.toISOString() ?? null,
          createdAt: s.created_at.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
