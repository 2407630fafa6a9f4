import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { periodBounds } from '../../engine/dates.ts';
import { Decimal } from '../../engine/decimal.ts';
import { priceLabour } from '../../engine/labour.ts';
import { minorUnits } from '../../engine/money.ts';
import { notFound } from '../problem.ts';
import { Uuid } from '../wire-types.ts';

const Hours = Type.String({ description: 'Hours, exact', examples: ['12.5'] });
const Money = Type.String({ description: 'Amount in the currency, rounded once per engagement', examples: ['1500.00'] });

/** A customer's PSA labour for a month, priced per engagement (project cost node). */
export function labourRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/customers/:id/labour',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['psa'],
        summary: "A month of the customer's PSA labour per engagement: billable hours × each entry's rate, and non-billable hours (reported, not charged), with the PSA entry ids",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ period: Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'YYYY-MM', examples: ['2026-11'] }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            customerId: Uuid,
            period: Type.String(),
            currency: Type.String({ description: "The customer's billing currency; PSA rates are taken as being in it" }),
            engagements: Type.Array(
              Type.Object({
                costNodeId: Type.Union([Uuid, Type.Null()], { description: 'null: work outside any project' }),
                name: Type.Union([Type.String(), Type.Null()]),
                billableHours: Hours,
                nonBillableHours: Hours,
                amount: Money,
                billableEntries: Type.Array(Type.Object({ system: Type.String(), entryId: Type.String(), version: Type.Integer() })),
                nonBillableEntries: Type.Array(Type.Object({ system: Type.String(), entryId: Type.String(), version: Type.Integer() })),
              }),
            ),
            total: Money,
          }),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { period } = request.query;
      const customer = await ctx.db.selectFrom('customers').select(['id', 'billing_currency']).where('id', '=', id).executeTakeFirst();
      if (!customer) throw notFound('customer', id);
      const { start, end } = periodBounds(period);
      const rows = await ctx.db
        .selectFrom('labour_lines as l')
        .leftJoin('cost_nodes as n', 'n.id', 'l.cost_node_id')
        .select(['l.system', 'l.entry_id', 'l.version', 'l.cost_node_id', 'n.name', 'l.billable', 'l.hours_worked', 'l.hours_billable', 'l.rate'])
        .where('l.customer_id', '=', id)
        .where('l.status', '=', 'current')
        .where('l.work_date', '>=', start)
        .where('l.work_date', '<=', end)
        .orderBy('l.entry_id')
        .execute();
      const key = (r: { system: string; entry_id: string }) => `${r.system}:${r.entry_id}`;
      const byKey = new Map(rows.map((r) => [key(r), r]));
      const priced = priceLabour(
        rows.map((r) => ({ entryId: key(r), costNodeId: r.cost_node_id, billable: r.billable, hoursWorked: new Decimal(r.hours_worked), hoursBillable: new Decimal(r.hours_billable), rate: r.rate === null ? null : new Decimal(r.rate) })),
        customer.billing_currency,
      );
      const places = minorUnits(customer.billing_currency);
      const entries = (keys: string[]) => keys.map((k) => byKey.get(k)!).map((r) => ({ system: r.system, entryId: r.entry_id, version: r.version }));
      return {
        customerId: id,
        period,
        currency: customer.billing_currency,
        engagements: priced.engagements.map((e) => ({
          costNodeId: e.costNodeId,
          name: e.costNodeId ? (rows.find((r) => r.cost_node_id === e.costNodeId)?.name ?? null) : null,
          billableHours: e.billableHours.toString(),
          nonBillableHours: e.nonBillableHours.toString(),
          amount: e.amount.toFixed(places),
          billableEntries: entries(e.billableEntryIds),
          nonBillableEntries: entries(e.nonBillableEntryIds),
        })),
        total: priced.total.toFixed(places),
      };
    },
  );
}
