import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import {
  AdjustmentRefused,
  decideAdjustment,
  findAdjustment,
  listAdjustments,
  loadApprovalThresholds,
  requestAdjustment,
  saveApprovalThresholds,
  type AdjustmentActor,
  type AdjustmentRow,
} from '../../db/invoice-adjustments.ts';
import { rolesFor } from '../../security/permissions.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, badRequest, conflict, forbidden, invalidFields, notFound, type FieldError } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { CurrencyCode, Timestamp, UnsignedDecimalString, Uuid, decimalStringsOnly } from '../wire-types.ts';
import { Nullable } from '../invoice-views.ts';

// Manual credits and write-offs against issued invoices. At or below the approval
// threshold of the invoice's currency an adjustment is approved as it is asked for;
// above it, it waits for a finance key other than the one that asked (four eyes).

const Kind = Type.Enum(['credit', 'write_off', 'late_usage', 'late_labour'], {
  description: 'credit: money given back; write_off: money the MSP stops collecting; late_usage: late lines a close held back; late_labour: changed PSA entries of a closed period a close held back',
});
const Status = Type.Enum(['pending', 'approved', 'rejected']);

export const InvoiceAdjustment = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    invoiceId: Nullable(Uuid),
    invoiceNumber: Nullable(Type.String()),
    kind: Kind,
    period: Type.String({ description: 'The billing month the adjustment is for' }),
    amount: Type.String({ description: 'In the invoice currency, always positive: a credit or write-off reduces what the customer owes by it' }),
    currency: Type.String(),
    reason: Type.String(),
    status: Status,
    approvalRequired: Type.Boolean({ description: 'Whether the amount was above the threshold when asked for' }),
    threshold: Type.String({ description: 'The approval threshold of the currency when asked for' }),
    requestedBy: Type.String({ description: 'key:<api key id> or cli:<user>' }),
    decidedBy: Nullable(Type.String({ description: 'The approving or rejecting key; system:below_threshold when no approval was needed' })),
    decisionComment: Nullable(Type.String()),
    decidedAt: Nullable(Timestamp),
    createdAt: Timestamp,
  },
  { $id: 'InvoiceAdjustment' },
);

const RequestBody = Type.Object(
  {
    invoiceId: Uuid,
    kind: Type.Enum(['credit', 'write_off']),
    amount: UnsignedDecimalString({ description: 'In the invoice currency, in whole minor units', examples: ['120.00'] }),
    reason: Type.String({ minLength: 1, maxLength: 2000, description: 'Why: kept with the adjustment and in the audit trail' }),
  },
  { additionalProperties: false },
);

const DecisionBody = Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
const RejectBody = Type.Object({ comment: Type.String({ minLength: 1, maxLength: 2000, description: 'Why it is refused' }) }, { additionalProperties: false });

export const AdjustmentApproval = Type.Object(
  {
    defaultAmount: Type.String({ description: 'Adjustments above this amount, in the invoice currency, need approval' }),
    byCurrency: Type.Record(Type.String(), Type.String(), { description: 'Per-currency amounts replacing the default' }),
    updatedAt: Nullable(Timestamp),
  },
  { $id: 'AdjustmentApproval' },
);

const ApprovalInput = Type.Object(
  {
    defaultAmount: UnsignedDecimalString({ examples: ['500.00'] }),
    byCurrency: Type.Optional(Type.Record(CurrencyCode, UnsignedDecimalString(), { description: 'e.g. {"JPY": "75000"}' })),
  },
  { additionalProperties: false },
);

function toView(row: AdjustmentRow): Static<typeof InvoiceAdjustment> {
  return {
    id: row.id,
    customerId: row.customer_id,
    invoiceId: row.invoice_id,
    invoiceNumber: row.invoice_number,
    kind: row.kind as Static<typeof Kind>,
    period: row.period,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    status: row.status as Static<typeof Status>,
    approvalRequired: row.approval_required,
    threshold: row.threshold,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decisionComment: row.decision_comment,
    decidedAt: row.decided_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

function actorWithKey(request: FastifyRequest): AdjustmentActor {
  return { ...actorOf(request), keyId: request.principal?.keyId ?? null };
}

function asProblem(err: unknown): unknown {
  if (!(err instanceof AdjustmentRefused)) return err;
  if (err.kind === 'not_found') return new ApiProblem(404, 'not-found', 'Not found', err.message);
  if (err.kind === 'forbidden') return forbidden(err.message);
  if (err.kind === 'conflict') return conflict(err.message, err.field);
  return badRequest(err.field ?? 'body', err.message);
}

export function invoiceAdjustmentRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(InvoiceAdjustment);
  app.addSchema(AdjustmentApproval);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v1/invoice-adjustments',
    {
      config: { auth: { roles: rolesFor('adjustment.request') } },
      preValidation: decimalStringsOnly(RequestBody),
      schema: {
        tags: ['billing'],
        summary: 'Ask for a credit or write-off against an issued invoice: approved at once up to the threshold, pending finance approval above it',
        body: RequestBody,
        response: { 201: Type.Ref('InvoiceAdjustment') },
      },
    },
    async (request, reply) => {
      try {
        const row = await ctx.db.transaction().execute((trx) => requestAdjustment(trx, request.body, actorWithKey(request)));
        return reply.code(201).send(toView(row));
      } catch (err) {
        throw asProblem(err);
      }
    },
  );

  r.get(
    '/v1/invoice-adjustments',
    {
      config: { auth: { roles: rolesFor('adjustment.read') } },
      schema: {
        tags: ['billing'],
        summary: 'Credits and write-offs, newest first; status=pending is the approval queue',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Status), customerId: Type.Optional(Uuid), invoiceId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('InvoiceAdjustment')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, ...filter } = request.query;
      const rows = await listAdjustments(ctx.db, { ...filter, limit, before: decodeCursor(cursor) });
      const page = paginate(rows, limit);
      return { items: page.rows.map(toView), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/invoice-adjustments/:id',
    {
      config: { auth: { roles: rolesFor('adjustment.read') } },
      schema: { tags: ['billing'], summary: 'One credit or write-off and its decision', params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('InvoiceAdjustment') } },
    },
    async (request) => {
      const row = await findAdjustment(ctx.db, request.params.id);
      if (!row) throw notFound('invoice adjustment', request.params.id);
      return toView(row);
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    r.post(
      `/v1/invoice-adjustments/:id/${decision}`,
      {
        config: { auth: { roles: rolesFor('adjustment.decide') } },
        schema: {
          tags: ['billing'],
          summary: decision === 'approve' ? 'Approve a pending adjustment (finance; not the key that asked for it)' : 'Reject a pending adjustment, saying why (finance; not the key that asked for it)',
          params: Type.Object({ id: Uuid }),
          body: decision === 'approve' ? DecisionBody : RejectBody,
          response: { 200: Type.Ref('InvoiceAdjustment') },
        },
      },
      async (request) => {
        const comment = (request.body as { comment?: string }).comment?.trim() || null;
        try {
          const row = await ctx.db.transaction().execute((trx) => decideAdjustment(trx, request.params.id, decision, comment, actorWithKey(request)));
          return toView(row);
        } catch (err) {
          throw asProblem(err);
        }
      },
    );
  }

  r.get(
    '/v1/settings/adjustment-approval',
    {
      config: { auth: { roles: rolesFor('adjustment.threshold.read') } },
      schema: { tags: ['settings'], summary: 'The amounts above which credits and write-offs need finance approval', response: { 200: Type.Ref('AdjustmentApproval') } },
    },
    async () => {
      const stored = await loadApprovalThresholds(ctx.db);
      return { ...stored.value, updatedAt: stored.updatedAt?.toISOString() ?? null };
    },
  );

  r.put(
    '/v1/settings/adjustment-approval',
    {
      config: { auth: { roles: rolesFor('adjustment.threshold.write') } },
      preValidation: decimalStringsOnly(ApprovalInput),
      schema: {
        tags: ['settings'],
        summary: 'Set the approval thresholds (the whole value: a currency left out uses the default)',
        body: ApprovalInput,
        response: { 200: Type.Ref('AdjustmentApproval') },
      },
    },
    async (request) => {
      const errors: FieldError[] = [];
      const byCurrency = request.body.byCurrency ?? {};
      for (const code of Object.keys(byCurrency)) {
        if (!/^[A-Z]{3}$/.test(code)) errors.push({ field: `byCurrency.${code}`, reason: 'must be an ISO 4217 code such as USD' });
      }
      if (errors.length > 0) throw invalidFields(errors);
      const saved = await ctx.db
        .transaction()
        .execute((trx) => saveApprovalThresholds(trx, { defaultAmount: request.body.defaultAmount, byCurrency }, actorOf(request)));
      return { ...saved.value, updatedAt: saved.updatedAt.toISOString() };
    },
  );
}
