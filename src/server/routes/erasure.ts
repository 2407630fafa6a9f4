import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { CustomerNotFound, eraseCustomer } from '../../db/erasure.ts';
import { rolesFor } from '../../security/permissions.ts';
import { actorOf } from '../plugins/auth.ts';
import { notFound } from '../problem.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

const Erasure = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    reason: Type.String(),
    changed: Type.Record(Type.String(), Type.Integer(), { description: 'Rows changed per table, and how many distinct personal values were pseudonymised' }),
    createdAt: Timestamp,
  },
  { $id: 'Erasure' },
);

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
          "Erase the customer's personal data (billing contact e-mails, invoice recipients, e-mail addresses and UPNs in usage tags, and the same in the audit log's payloads); invoices, lines, lineage and amounts are kept",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why (e.g. the data subject request reference): kept with the erasure and in the audit trail' }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('Erasure') },
      },
    },
    async (request) => {
      try {
        const result = await ctx.db.transaction().execute((trx) => eraseCustomer(trx, request.params.id, request.body.reason.trim(), actorOf(request)));
        return { ...result, createdAt: result.createdAt.toISOString() };
      } catch (err) {
        if (err instanceof CustomerNotFound) throw notFound('customer', request.params.id);
        throw err;
      }
    },
  );
}
