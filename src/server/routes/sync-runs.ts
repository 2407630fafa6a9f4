import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { restoreConsent } from '../../db/consents.ts';
import { startSyncRun, type SyncRunRow } from '../../jobs/partner-center/start-run.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });

export const SyncRun = Type.Object(
  {
    id: Uuid,
    connectionId: Uuid,
    kind: Type.String({ description: 'full, unbilled (current and last month) or billed (a closed month’s invoices)' }),
    period: Type.Union([Type.String(), Type.Null()]),
    trigger: Type.String({ description: 'manual or schedule' }),
    status: Type.String({ description: 'queued, running, succeeded, partial (finished with errors) or failed' }),
    progress: Type.Object({
      customersDone: Type.Integer(),
      customersTotal: Type.Integer(),
      pages: Type.Integer({ description: 'Pages, exports and blobs fetched' }),
      lines: Type.Integer({ description: 'Usage lines ingested' }),
      retries: Type.Integer({ description: 'Vendor calls retried after 429, 5xx or a timeout' }),
      errors: Type.Integer(),
      pendingJobs: Type.Integer(),
    }),
    errors: Type.Array(Type.Object({ at: Type.String(), job: Type.String(), customerId: Type.Optional(Type.String()), message: Type.String() })),
    requestedBy: Type.Union([Type.String(), Type.Null()]),
    startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'SyncRun' },
);

export function toSyncRun(row: SyncRunRow): Static<typeof SyncRun> {
  return {
    id: row.id,
    connectionId: row.connection_id,
    kind: row.kind,
    period: row.period,
    trigger: row.trigger,
    status: row.status,
    progress: {
      customersDone: row.customers_done,
      customersTotal: row.customers_total,
      pages: row.pages,
      lines: row.lines,
      retries: row.retries,
      errors: row.error_count,
      pendingJobs: row.pending_jobs,
    },
    errors: row.errors as Static<typeof SyncRun>['errors'],
    requestedBy: row.requested_by,
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

const Alert = Type.Object({
  id: Uuid,
  kind: Type.String(),
  severity: Type.String(),
  status: Type.String(),
  customerId: Type.Union([Uuid, Type.Null()]),
  connectionId: Type.Union([Uuid, Type.Null()]),
  message: Type.String(),
  detail: Type.Unknown(),
  createdAt: Type.String({ format: 'date-time' }),
});

export function syncRunRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const watchers = ['admin', 'billing_ops', 'finance', 'auditor'] as const;

  r.post(
    '/v1/connections/:id/sync',
    {
      config: { auth: { roles: ['admin', 'billing_ops'] }, idempotent: true },
      schema: {
        tags: ['connections'],
        summary: 'Start a sync now',
        description: 'Answers at once with the run; watch it at GET /v1/sync-runs/{id}. A run already queued or running for the same kind and period is returned instead of starting another.',
        params: Type.Object({ id: Uuid }),
        body: Type.Optional(
          Type.Object(
            { kind: Type.Optional(Type.Union([Type.Literal('full'), Type.Literal('unbilled'), Type.Literal('billed')], { default: 'full' })), period: Type.Optional(Period) },
            { additionalProperties: false },
          ),
        ),
        response: { 202: Type.Ref('SyncRun') },
      },
    },
    async (request, reply) => {
      const connection = await ctx.db.selectFrom('connections').select(['id', 'provider', 'status']).where('id', '=', request.params.id).executeTakeFirst();
      if (!connection) throw notFound('connection', request.params.id);
      if (connection.provider !== 'partner-center') throw new ApiProblem(409, 'conflict', 'Conflict', `${connection.provider} connections do not sync yet`);
      if (connection.status !== 'active') throw new ApiProblem(409, 'conflict', 'Conflict', `connection is ${connection.status}`, { field: 'status' });
      const kind = request.body?.kind ?? 'full';
      const { run } = await startSyncRun(ctx.db, { connectionId: connection.id, kind, period: request.body?.period ?? null, trigger: 'manual' }, actorOf(request));
      return reply.code(202).send(toSyncRun(run));
    },
  );

  r.get(
    '/v1/sync-runs/:id',
    {
      config: { auth: { roles: [...watchers] } },
      schema: { tags: ['connections'], summary: "A sync run's progress", params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('SyncRun') } },
    },
    async (request) => {
      const row = await ctx.db.selectFrom('sync_runs').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw notFound('sync run', request.params.id);
      return toSyncRun(row);
    },
  );

  r.get(
    '/v1/connections/:id/sync-runs',
    {
      config: { auth: { roles: [...watchers] } },
      schema: {
        tags: ['connections'],
        summary: "A connection's sync runs, newest first",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ ...PageQuery }, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('SyncRun')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('sync_runs').selectAll().where('connection_id', '=', request.params.id);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return { items: page.rows.map(toSyncRun), nextCursor: page.nextCursor };
    },
  );

  r.post(
    '/v1/customers/:id/consent/restore',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['customers'],
        summary: 'Resume syncing a customer whose delegated access (GDAP) was re-established',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ connectionId: Uuid, justification: Type.String({ minLength: 3 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ customerId: Uuid, connectionId: Uuid, status: Type.Literal('active') }) },
      },
    },
    async (request) => {
      const restored = await restoreConsent(ctx.db, { customerId: request.params.id, connectionId: request.body.connectionId, justification: request.body.justification }, actorOf(request));
      if (!restored) throw new ApiProblem(409, 'conflict', 'Conflict', 'consent is not lapsed for this customer and connection', { field: 'connectionId' });
      return { customerId: request.params.id, connectionId: request.body.connectionId, status: 'active' as const };
    },
  );

  r.get(
    '/v1/alerts',
    {
      config: { auth: { roles: ['admin', 'billing_ops', 'finance', 'auditor', 'sales_ops'] } },
      schema: {
        tags: ['system'],
        summary: 'Alerts a person should act on (lapsed consent, …), newest first',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')])), kind: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Alert) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, kind } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('alerts').selectAll();
      if (status) q = q.where('status', '=', status);
      if (kind) q = q.where('kind', '=', kind);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.rows.map((a) => ({
          id: a.id,
          kind: a.kind,
          severity: a.severity,
          status: a.status,
          customerId: a.customer_id,
          connectionId: a.connection_id,
          message: a.message,
          detail: a.detail,
          createdAt: a.created_at.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );
}
