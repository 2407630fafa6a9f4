import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { usageByDay } from '../../db/usage-by-day.ts';
import { Uuid } from '../wire-types.ts';

// A customer's usage of a closed month by day and charge category, at the client's own
// prices (src/db/usage-by-day.ts): what the portal's usage chart and its table show.

const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });

export const UsageByDay = Type.Object(
  {
    customerId: Uuid,
    period: Type.Union([Period, Type.Null()], { description: 'The month asked for, else the latest invoiced; null when none is' }),
    invoiceId: Type.Union([Uuid, Type.Null()], { description: 'The issued invoice the amounts come from; null while the month is not invoiced (days is then empty)' }),
    currency: Type.Union([Type.String(), Type.Null()]),
    days: Type.Array(
      Type.Object({
        date: Type.String({ format: 'date' }),
        category: Type.String({ description: 'Charge category (compute, storage, network, …)' }),
        amount: Type.String({ description: "The invoice's price for that day's lines of the category, rounded to the currency's minor unit" }),
      }),
    ),
  },
  { $id: 'UsageByDay' },
);

export function usageRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(UsageByDay);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/customers/:id/usage-by-day',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'], customerParam: 'id' } },
      schema: {
        tags: ['usage'],
        summary: "A closed month's Azure usage by day and charge category, at the prices it was invoiced at (default: the latest month invoiced)",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ period: Type.Optional(Period) }, { additionalProperties: false }),
        response: { 200: Type.Ref('UsageByDay') },
      },
    },
    async (request) => {
      const { invoice, rows } = await usageByDay(ctx.db, request.params.id, request.query.period);
      return {
        customerId: request.params.id,
        period: invoice?.period ?? request.query.period ?? null,
        invoiceId: invoice?.id ?? null,
        currency: invoice?.currency ?? null,
        days: rows.map((r) => ({ date: r.usage_date, category: r.category, amount: r.amount })),
      };
    },
  );
}
