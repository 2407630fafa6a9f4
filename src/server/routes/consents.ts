import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql, type Selectable } from 'kysely';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { relationshipsOfCustomer } from '../../db/gdap-relationships.ts';
import type { ConsentsTable } from '../../db/types.ts';
import { daysLeft } from '../../engine/consent.ts';
import { notFound } from '../problem.ts';
import { PageQuery, decodeIdCursor, pageOf } from '../pagination.ts';
import { Uuid } from '../wire-types.ts';

// GDAP consent as the hub last reviewed it (src/jobs/partner-center/gdap-check.ts): per
// customer, and as the review list MSPs otherwise keep by hand.

const CONSENT_READERS = ['admin', 'finance', 'billing_ops', 'auditor'] as const;
const STATES = ['active', 'expiring', 'expired', 'missing_roles', 'no_relationship'] as const;
const BLOCKING = new Set(['expired', 'missing_roles', 'no_relationship']);
const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const consentFields = {
  connectionId: Uuid,
  state: Type.Union([Type.Literal('active'), Type.Literal('expiring'), Type.Literal('expired'), Type.Literal('missing_roles'), Type.Literal('no_relationship'), Type.Literal('unchecked')], {
    description: 'From Microsoft Graph: active, expiring (ends within 30 days, not set to extend itself), expired, missing_roles, no_relationship; unchecked until the first review',
  }),
  lapsed: Type.Boolean({ description: 'Partner Center refused access (403) since the last restore (POST …/consent/restore)' }),
  blocked: Type.Boolean({ description: 'Syncs skip this customer on this connection' }),
  reason: Type.Union([Type.String(), Type.Null()]),
  relationshipId: Type.Union([Type.String(), Type.Null()]),
  expiresAt: Instant,
  daysLeft: Type.Union([Type.Integer(), Type.Null()], { description: 'Whole days until expiresAt, rounded up, as of this answer' }),
  autoExtends: Type.Boolean(),
  missingRoles: Type.Array(Type.String(), { description: 'Role definition ids billing needs that no live relationship assigns' }),
  checkedAt: Instant,
};

const Relationship = Type.Object({
  id: Type.String(),
  displayName: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  activatedAt: Instant,
  endAt: Instant,
  autoExtendDuration: Type.Union([Type.String(), Type.Null()]),
  roles: Type.Array(Type.String(), { description: 'Roles the customer granted in the relationship' }),
  assignedRoles: Type.Array(Type.String(), { description: "Roles its active access assignments give the partner's security groups" }),
});

const CustomerConsent = Type.Object({
  customerId: Uuid,
  connections: Type.Array(Type.Object({ ...consentFields, relationships: Type.Array(Relationship) })),
});

const ConsentReviewItem = Type.Object({ customerId: Uuid, customerName: Type.String(), ...consentFields });

function consentView(row: Selectable<ConsentsTable>, now: Date) {
  const lapsed = row.status === 'lapsed';
  const state = (row.gdap_state ?? 'unchecked') as (typeof STATES)[number] | 'unchecked';
  return {
    connectionId: row.connection_id,
    state,
    lapsed,
    blocked: lapsed || BLOCKING.has(state),
    reason: lapsed ? `Partner Center refused access: ${row.detail ?? 'consent lapsed'}` : row.gdap_reason,
    relationshipId: row.relationship_id,
    expiresAt: row.expires_at?.toISOString() ?? null,
    daysLeft: row.expires_at ? daysLeft(row.expires_at, now) : null,
    autoExtends: row.auto_extends,
    missingRoles: row.missing_roles,
    checkedAt: row.checked_at?.toISOString() ?? null,
  };
}

export function consentRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/customers/:id/consent',
    {
      config: { auth: { roles: [...CONSENT_READERS] } },
      schema: {
        tags: ['customers'],
        summary: "A customer's GDAP consent per Partner Center connection: state, expiry, missing roles, and the relationships Microsoft Graph lists",
        params: Type.Object({ id: Uuid }),
        response: { 200: CustomerConsent },
      },
    },
    async (request) => {
      const customer = await ctx.db.selectFrom('customers').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!customer) throw notFound('customer', request.params.id);
      const now = new Date();
      const rows = await ctx.db.selectFrom('consents').selectAll().where('customer_id', '=', customer.id).orderBy('connection_id').execute();
      const relationships = await relationshipsOfCustomer(ctx.db, customer.id);
      return {
        customerId: customer.id,
        connections: rows.map((row) => ({
          ...consentView(row, now),
          relationships: relationships
            .filter((g) => g.connection_id === row.connection_id)
            .map((g) => ({
              id: g.relationship_id,
              displayName: g.display_name,
              status: g.status,
              activatedAt: g.activated_at?.toISOString() ?? null,
              endAt: g.end_at?.toISOString() ?? null,
              autoExtendDuration: g.auto_extend_duration,
              roles: g.roles,
              assignedRoles: g.assigned_roles,
            })),
        })),
      };
    },
  );

  r.get(
    '/v1/consents',
    {
      config: { auth: { roles: [...CONSENT_READERS] } },
      schema: {
        tags: ['customers'],
        summary: 'The GDAP consent review: every customer and connection, blocked ones first, then by nearest expiry; with counts per state',
        querystring: Type.Object(
          {
            ...PageQuery,
            state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('expiring'), Type.Literal('expired'), Type.Literal('missing_roles'), Type.Literal('no_relationship'), Type.Literal('lapsed')], { description: 'Only this state (lapsed: Partner Center answered 403)' })),
            connectionId: Type.Optional(Uuid),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            ...pageOf(ConsentReviewItem).properties,
            counts: Type.Record(Type.String(), Type.Integer(), { description: 'Customers per state (and lapsed), over every page' }),
          }),
        },
      },
    },
    async (request) => {
      const { limit = 50, cursor, state, connectionId } = request.query;
      const offset = decodeIdCursor(cursor) ?? 0;
      let q = ctx.db.selectFrom('consents as k').innerJoin('customers as c', 'c.id', 'k.customer_id').selectAll('k').select('c.name as customer_name');
      if (connectionId) q = q.where('k.connection_id', '=', connectionId);
      if (state === 'lapsed') q = q.where('k.status', '=', 'lapsed');
      else if (state) q = q.where('k.gdap_state', '=', state);
      const rows = await q
        .orderBy(sql`(k.status = 'lapsed' or k.gdap_state in ('expired', 'missing_roles', 'no_relationship'))`, 'desc')
        .orderBy(sql`k.expires_at`, sql`asc nulls last`)
        .orderBy('c.name')
        .orderBy('k.customer_id')
        .orderBy('k.connection_id')
        .offset(offset)
        .limit(limit + 1)
        .execute();
      let counted = ctx.db.selectFrom('consents').select([sql<string>`coalesce(gdap_state, 'unchecked')`.as('state'), sql<number>`count(*)::int`.as('n'), sql<number>`count(*) filter (where status = 'lapsed')::int`.as('lapsed')]);
      if (connectionId) counted = counted.where('connection_id', '=', connectionId);
      const counts: Record<string, number> = Object.fromEntries([...STATES, 'lapsed'].map((s) => [s, 0]));
      for (const c of await counted.groupBy(sql`coalesce(gdap_state, 'unchecked')`).execute()) {
        counts[c.state] = c.n;
        counts.lapsed! += c.lapsed;
      }
      const now = new Date();
      return {
        items: rows.slice(0, limit).map((row) => ({ customerId: row.customer_id, customerName: row.customer_name, ...consentView(row, now) })),
        nextCursor: rows.length > limit ? Buffer.from(String(offset + limit)).toString('base64url') : null,
        counts,
      };
    },
  );
}
