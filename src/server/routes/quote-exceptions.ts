import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

const Problem = Type.Object({
  lineItemId: Type.Optional(Type.String({ description: "The CRM line item's id, when the problem is one line" })),
  name: Type.Optional(Type.String({ description: "The line's name in the CRM" })),
  reason: Type.String(),
});

export const QuoteException = Type.Object(
  {
    id: Uuid,
    dealId: Uuid,
    crm: Type.Object({ system: Type.String({ examples: ['hubspot'] }), dealId: Type.String({ description: "The deal's id in the CRM" }) }),
    dealName: Type.String(),
    status: Type.Enum(['open', 'resolved'], { description: 'resolved once a later win of the deal mapped' }),
    reason: Type.String({ examples: ['unmappable deal', 'ambiguous customer'] }),
    problems: Type.Array(Problem, { description: 'Every line or match that failed, and why' }),
    attempts: Type.Integer({ description: 'How many wins of the deal met this exception' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'QuoteException' },
);

/** Won deals the hub did not turn into billing setup, for someone to fix in the CRM or the hub. */
export function quoteExceptionRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/quote-exceptions',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['crm'],
        summary: 'Won CRM deals that could not become billing setup (unmapped lines, ambiguous customers), newest first',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Type.Enum(['open', 'resolved'], { description: 'Default open' })) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('QuoteException')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status = 'open' } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db
        .selectFrom('quote_exceptions as x')
        .innerJoin('deals as d', 'd.id', 'x.deal_id')
        .innerJoin('external_links as l', (join) => join.onRef('l.entity_id', '=', 'd.id').on('l.entity', '=', 'deal'))
        .select(['x.id', 'x.deal_id', 'x.status', 'x.reason', 'x.problems', 'x.attempts', 'x.created_at', 'x.updated_at', 'd.name', 'l.system', 'l.external_id'])
        .where('x.status', '=', status);
      if (position) q = q.where((eb) => eb(eb.refTuple('x.created_at', 'x.id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('x.created_at', 'desc').orderBy('x.id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.rows.map((row) => ({
          id: row.id,
          dealId: row.deal_id,
          crm: { system: row.system, dealId: row.external_id },
          dealName: row.name,
          status: row.status as 'open' | 'resolved',
          reason: row.reason,
          problems: row.problems as { lineItemId?: string; name?: string; reason: string }[],
          attempts: row.attempts,
          createdAt: row.created_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
