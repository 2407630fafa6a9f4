import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { NoRecipient, invoiceDeliveries, queueInvoiceDelivery, type InvoiceDeliveryRow } from '../../db/invoice-deliveries.ts';
import { rolesFor } from '../../security/permissions.ts';
import { actorOf } from '../plugins/auth.ts';
import { conflict, notFound } from '../problem.ts';
import { Nullable } from '../invoice-views.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

export const InvoiceDelivery = Type.Object(
  {
    id: Uuid,
    invoiceId: Uuid,
    recipient: Type.String(),
    status: Type.Enum(['pending', 'sent', 'bounced', 'failed'], {
      description: 'pending: queued or between retries; sent: the mail server accepted it; bounced: the server refused the recipient (SMTP 5xx, not retried); failed: out of attempts',
    }),
    attempts: Type.Integer(),
    lastError: Nullable(Type.String()),
    smtpStatus: Nullable(Type.Integer({ description: "The mail server's reply code to the last failed attempt" })),
    messageId: Nullable(Type.String()),
    requestedBy: Type.String({ description: 'system:billing:close_customer when the close sent it' }),
    sentAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'InvoiceDelivery' },
);

function toView(row: InvoiceDeliveryRow): Static<typeof InvoiceDelivery> {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    recipient: row.recipient,
    status: row.status as Static<typeof InvoiceDelivery>['status'],
    attempts: row.attempts,
    lastError: row.last_error,
    smtpStatus: row.smtp_status,
    messageId: row.message_id,
    requestedBy: row.requested_by,
    sentAt: row.sent_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Invoices e-mailed to the customer's billing contact, with the summary PDF attached. */
export function invoiceDeliveryRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(InvoiceDelivery);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const exists = async (id: string) => {
    const row = await ctx.db.selectFrom('invoices').select('id').where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('invoice', id);
  };

  r.post(
    '/v1/invoices/:id/deliveries',
    {
      config: { auth: { roles: rolesFor('invoice.deliver') } },
      schema: {
        tags: ['billing'],
        summary: "E-mail the invoice (summary PDF attached, link to the detail) to the customer's billing contact or the recipient given; retried until sent, bounced or failed",
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          { recipient: Type.Optional(Type.String({ format: 'email', maxLength: 254, description: "Default: the customer's billingEmail" })) },
          { additionalProperties: false },
        ),
        response: { 202: Type.Ref('InvoiceDelivery') },
      },
    },
    async (request, reply) => {
      await exists(request.params.id);
      try {
        const row = await ctx.db.transaction().execute((trx) => queueInvoiceDelivery(trx, { invoiceId: request.params.id, recipient: request.body.recipient ?? null }, actorOf(request)));
        return reply.code(202).send(toView(row));
      } catch (err) {
        if (err instanceof NoRecipient) throw conflict(err.message, 'recipient');
        throw err;
      }
    },
  );

  r.get(
    '/v1/invoices/:id/deliveries',
    {
      config: { auth: { roles: rolesFor('invoice.delivery.read') } },
      schema: {
        tags: ['billing'],
        summary: 'Every e-mail of the invoice, newest first, with its status (sent, bounced, failed with the reason) and attempts',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('InvoiceDelivery')) }) },
      },
    },
    async (request) => {
      await exists(request.params.id);
      return { items: (await invoiceDeliveries(ctx.db, request.params.id)).map(toView) };
    },
  );
}
