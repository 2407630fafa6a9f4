import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable } from 'kysely';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { FIELD_HOLDERS, fieldOwners, OWNER_SYSTEMS, type FieldOwner } from '../../db/field-owners.ts';
import type { Database } from '../../db/types.ts';
import { DriftConflict, resolveFinding } from '../../jobs/drift/resolve.ts';
import { DRIFT_TASK } from '../../jobs/drift/detect.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { Justification, Timestamp, Uuid } from '../wire-types.ts';

const Owner = Type.Enum([...OWNER_SYSTEMS], { description: 'hub, microsoft, crm, psa or erp' });
const FieldOwnerSchema = Type.Object({
  field: Type.String({ examples: ['rate_card.markup_percent'] }),
  owner: Owner,
  holders: Type.Array(Type.String(), { description: 'The systems that keep a copy; the owner is one of them' }),
  approval: Type.String({ description: "What a change of the hub's copy needs: rate-card-dual-approval, approval-queue or none" }),
  description: Type.String(),
  updatedBy: Type.String(),
  updatedAt: Timestamp,
});
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Status = Type.Enum(['open', 'resolving', 'awaiting-approval', 'resolved', 'ignored', 'closed']);
export const DriftFinding = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    customerName: Type.String({ description: "The customer's name in the hub", examples: ['Contoso Ltd'] }),
    connectionId: Uuid,
    system: Type.String({ description: 'The system holding the other copy', examples: ['hubspot'] }),
    field: Type.String({ examples: ['rate_card.markup_percent'] }),
    subject: Type.String({ description: 'Which price: sku:<ProductId:SkuId> or category:<charge category>', examples: ['category:compute'] }),
    owner: Owner,
    ownerValue: Nullable(Type.String()),
    ownerSeenAt: Nullable(Timestamp),
    otherValue: Nullable(Type.String()),
    otherSeenAt: Nullable(Timestamp),
    moneyAtStakePerMonth: Nullable(Type.String({ description: 'What the difference is worth a month, in currency', examples: ['50.00'] })),
    currency: Nullable(Type.String()),
    vendorRef: Type.Record(Type.String(), Type.Unknown(), { description: 'The vendor record holding the copy' }),
    status: Status,
    resolution: Nullable(Type.String()),
    resolutionNote: Nullable(Type.String()),
    resolvedBy: Nullable(Type.String()),
    resolvedAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'DriftFinding' },
);

type FindingRow = Selectable<Database['drift_findings']>;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
function toFinding(row: FindingRow & { customer_name: string }) {
  return {
    id: row.id,
    customerId: row.customer_id,
    customerName: row.customer_name,
    connectionId: row.connection_id,
    system: row.system,
    field: row.field,
    subject: row.subject,
    owner: row.owner as (typeof OWNER_SYSTEMS)[number],
    ownerValue: row.owner_value,
    ownerSeenAt: iso(row.owner_seen_at),
    otherValue: row.other_value,
    otherSeenAt: iso(row.other_seen_at),
    moneyAtStakePerMonth: row.money_at_stake,
    currency: row.currency,
    vendorRef: row.vendor_ref as Record<string, unknown>,
    status: row.status as 'open',
    resolution: row.resolution,
    resolutionNote: row.resolution_note,
    resolvedBy: row.resolved_by,
    resolvedAt: iso(row.resolved_at),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
const ownerView = (o: FieldOwner) => ({ ...o, holders: [...(FIELD_HOLDERS[o.field] ?? [])], updatedAt: o.updatedAt.toISOString() });

/** Field ownership and the drift queue: differences between the owner and a copy, and their resolution. */
export function driftRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const readers = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] as const;

  r.get(
    '/v1/field-owners',
    {
      config: { auth: { roles: [...readers] } },
      schema: { tags: ['mappings'], summary: 'Which system owns each field: sync writes only from the owner, a difference elsewhere is drift', response: { 200: Type.Object({ items: Type.Array(FieldOwnerSchema) }) } },
    },
    async () => ({ items: [...(await fieldOwners(ctx.db)).values()].map(ownerView) }),
  );

  r.put(
    '/v1/field-owners/:field',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['mappings'],
        summary: 'Change the owner of a field (one of the systems holding it); audited with the reason',
        params: Type.Object({ field: Type.String({ maxLength: 100, examples: ['customer.billing_contact'] }) }),
        body: Type.Object({ owner: Owner, reason: Justification }, { additionalProperties: false }),
        response: { 200: FieldOwnerSchema },
      },
    },
    async (request) => {
      const { field } = request.params;
      const holders = FIELD_HOLDERS[field];
      if (!holders) throw notFound('field', field);
      if (!holders.includes(request.body.owner)) throw badRequest('owner', `${field} is held by ${holders.join(', ')}: its owner must be one of them`);
      return ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('field_owners').selectAll().where('field', '=', field).forUpdate().executeTakeFirstOrThrow();
        const actor = actorOf(request);
        await trx.updateTable('field_owners').set({ owner: request.body.owner, updated_by: actor.actor }).where('field', '=', field).execute();
        await writeAudit(trx, { ...actor, action: 'field_owner.update', entity: 'field_owner', entityId: null, before: { field, owner: before.owner }, after: { field, owner: request.body.owner }, justification: request.body.reason });
        return ownerView((await fieldOwners(trx)).get(field)!);
      });
    },
  );

  r.get(
    '/v1/drift-findings',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['mappings'],
        summary: 'Differences between a field’s owner and a copy in another system, newest first, with the money at stake per month',
        querystring: Type.Object(
          {
            ...PageQuery,
            customerId: Type.Optional(Uuid),
            system: Type.Optional(Type.String({ examples: ['hubspot'] })),
            field: Type.Optional(Type.String({ examples: ['rate_card.markup_percent'] })),
            status: Type.Optional(Status),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('DriftFinding')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, customerId, system, field, status } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('drift_findings as f').innerJoin('customers as c', 'c.id', 'f.customer_id').selectAll('f').select('c.name as customer_name');
      if (customerId) q = q.where('f.customer_id', '=', customerId);
      if (system) q = q.where('f.system', '=', system);
      if (field) q = q.where('f.field', '=', field);
      if (status) q = q.where('f.status', '=', status);
      if (position) q = q.where((eb) => eb(eb.refTuple('f.created_at', 'f.id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('f.created_at', 'desc').orderBy('f.id', 'desc').limit(limit + 1).execute(), limit);
      return { items: page.rows.map(toFinding), nextCursor: page.nextCursor };
    },
  );

  r.post(
    '/v1/drift-runs',
    {
      config: { auth: { roles: ['admin', 'billing_ops'] } },
      schema: {
        tags: ['mappings'],
        summary: 'Run drift detection now instead of at the next hourly run (one run is queued however often this is called)',
        response: { 202: Type.Object({ queued: Type.Boolean() }) },
      },
    },
    async (_request, reply) => {
      await enqueueJob(ctx.db, DRIFT_TASK, {}, { jobKey: DRIFT_TASK });
      return reply.code(202).send({ queued: true });
    },
  );

  r.post(
    '/v1/drift-findings/:id/resolve',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops'] } },
      schema: {
        tags: ['mappings'],
        summary:
          "Resolve a finding: push-owner-value (write the owner's value to the copy), accept-other-value (the owner takes the copy's value through its approval: a price becomes a pending rate card version) or ignore; audited with the reason",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ action: Type.Enum(['push-owner-value', 'accept-other-value', 'ignore']), reason: Justification }, { additionalProperties: false }),
        response: { 200: Type.Ref('DriftFinding') },
      },
    },
    async (request) => {
      try {
        const row = await resolveFinding(ctx, request.params.id, request.body.action, request.body.reason, actorOf(request));
        if (!row) throw notFound('drift finding', request.params.id);
        const customer = await ctx.db.selectFrom('customers').select('name').where('id', '=', row.customer_id).executeTakeFirstOrThrow();
        return toFinding({ ...row, customer_name: customer.name });
      } catch (error) {
        if (error instanceof DriftConflict) throw conflict(error.message, 'action');
        throw error;
      }
    },
  );
}
