import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { CustomerNotFound, requestErasure, type ErasureRow } from '../../db/erasure.ts';
import { rolesFor } from '../../security/permissions.ts';
import { actorOf } from '../plugins/auth.ts';
import { notFound } from '../problem.ts';
import { Nullable } from '../invoice-views.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

const Erasure = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    reason: Type.String(),
    status: Type.Enum(['pending', 'done'], { description: 'pending: queued or running (the gdpr:erase job); done: the personal data is gone' }),
    changed: Type.Record(Type.String(), Type.Integer(), { description: 'Rows changed per table, and how many distinct personal values were pseudonymised (empty while pending)' }),
    createdAt: Timestamp,
    completedAt: Nullable(Timestamp),
  },
  { $id: 'Erasure' },
);

function view(row: ErasureRow) {
  return {
    id: row.id,
    customerId: row.customer_id,
    reason: row.reason,
    status: row.status as 'pending' | 'done',
    changed: row.changed as Record<string, number>,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
  };
}

/** GDPR erasure: the customer's personal data pseudonymised everywhere, its financial records kept. */
export function erasureRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(Erasure);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/v1/customers/:id/erasure',
    {
      config: { auth: { roles: rolesFor('customer.erase') } },
      schema: {
        tags: ['customers'],
        summary:
          "Erase the customer's personal data (billing contact e-mails, invoice recipients, e-mail addresses and UPNs in usage tags, and the same in the audit log's payloads); invoices, lines, lineage and amounts are kept. " +
          'Runs as a job: the answer is the erasure, pending, with its status at Location; asked again while pending, the same erasure comes back',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why (e.g. the data subject request reference): kept with the erasure and in the audit trail' }) }, { additionalProperties: false }),
        response: { 202: Type.Ref('Erasure') },
      },
    },
    async (request, reply) => {
      try {
        const { erasure } = await ctx.db.transaction().execute((trx) => requestErasure(trx, request.params.id, request.body.reason.trim(), actorOf(request)));
        return reply.code(202).header('location', `/v1/erasures/${erasure.id}`).send(view(erasure));
      } catch (err) {
        if (err instanceof CustomerNotFound) throw notFound('customer', request.params.id);
        throw err;
      }
    },
  );
  r.get(
    '/v1/erasures/:id',
    {
      config: { auth: { roles: rolesFor('customer.erase') } },
      schema: { tags: ['customers'], summary: 'An erasure and its status (pending until the gdpr:erase job has run)', params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('Erasure') } },
    },
    async (request) => {
      const row = await ctx.db.selectFrom('erasures').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw notFound('erasure', request.params.id);
      return view(row);
    },
  );
}
