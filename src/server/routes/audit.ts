import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { badRequest } from '../problem.ts';

const AuditEntry = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    seq: Type.Integer(),
    occurredAt: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'key:<api key id>, cli:<user> or system:<job>' }),
    action: Type.String(),
    entity: Type.String(),
    entityId: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown(),
    after: Type.Unknown(),
    justification: Type.Union([Type.String(), Type.Null()]),
    requestId: Type.Union([Type.String(), Type.Null()]),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { $id: 'AuditEntry' },
);

export function auditRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  app.addSchema(AuditEntry);

  r.get(
    '/v1/audit',
    {
      config: { auth: { roles: ['auditor', 'admin'] } },
      schema: {
        tags: ['audit'],
        summary: 'Audit trail, newest first, filtered by entity and time',
        querystring: Type.Object(
          {
            entity: Type.Optional(Type.String({ description: 'e.g. customer, connection, cost_node, rate_card' })),
            entityId: Type.Optional(Type.String()),
            action: Type.Optional(Type.String()),
            from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive' })),
            to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: 'The `nextCursor` of the previous page' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('AuditEntry')), nextCursor: Type.Union([Type.String(), Type.Null()]) }) },
      },
    },
    async (request) => {
      const { entity, entityId, action, from, to, limit = 50, cursor } = request.query;
      if (from && to && new Date(from) >= new Date(to)) throw badRequest('to', 'must be after from');
      let q = ctx.db.selectFrom('audit_log').selectAll();
      if (entity) q = q.where('entity', '=', entity);
      if (entityId) q = q.where('entity_id', '=', entityId);
      if (action) q = q.where('action', '=', action);
      if (from) q = q.where('occurred_at', '>=', new Date(from));
      if (to) q = q.where('occurred_at', '<', new Date(to));
      if (cursor) q = q.where('seq', '<', Number(cursor));
      const rows = await q.orderBy('seq', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      return {
        items: page.map((row) => ({
          id: row.id,
          seq: row.seq,
          occurredAt: row.occurred_at.toISOString(),
          actor: row.actor,
          action: row.action,
          entity: row.entity,
          entityId: row.entity_id,
          before: row.before,
          after: row.after,
          justification: row.justification,
          requestId: row.request_id,
          prevHash: row.prev_hash,
          hash: row.hash,
        })),
        nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
      };
    },
  );
}
