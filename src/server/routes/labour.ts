import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { loadPeriodLabour } from '../../db/period-labour.ts';
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
      const labour = await loadPeriodLabour(ctx.db, id, period);
      const versionOf = (lineId: string) => labour.versions.get(lineId)!;
      // Listed by the PSA's entry id, as the PSA shows them.
      const ordered = [...labour.entries].sort((x, y) => versionOf(x.entryId).entryId.localeCompare(versionOf(y.entryId).entryId));
      const priced = priceLabour(ordered, customer.billing_currency);
      const nodeIds = [...new Set(ordered.map((e) => e.costNodeId).filter((n): n is string => n !== null))];
      const names = new Map(
        nodeIds.length === 0 ? [] : (await ctx.db.selectFrom('cost_nodes').select(['id', 'name']).where('id', 'in', nodeIds).execute()).map((n) => [n.id, n.name]),
      );
      const places = minorUnits(customer.billing_currency);
      const entries = (lineIds: string[]) => lineIds.map(versionOf);
      return {
        customerId: id,
        period,
        currency: customer.billing_currency,
        engagements: priced.engagements.map((e) => ({
          costNodeId: e.costNodeId,
          name: e.costNodeId ? (names.get(e.costNodeId) ?? null) : null,
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
