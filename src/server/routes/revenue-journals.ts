import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { POST_JOURNALS_TASK } from '../../jobs/erp/post-journals.ts';
import { ERP_SYSTEMS } from '../../mappings/accounting/line-accounts.ts';
import { journalNumber } from '../../mappings/accounting/revenue-journal.ts';
import { Period } from '../invoice-views.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest } from '../problem.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

// Period revenue journals: the crontab posts last month's on the 1st; finance can post a
// period on demand (after a late close was posted, say). Either way one job per
// connection and period does it, exactly once.

const JournalSchema = Type.Object({
  id: Uuid,
  connectionId: Uuid,
  system: Type.Enum([...ERP_SYSTEMS]),
  period: Period,
  currency: Type.String(),
  number: Type.String({ description: 'The journal number in the ERP (QuickBooks DocNumber; in the Xero narration)' }),
  sequence: Type.Integer({ description: '2 and up: entries that arrived after the period was first journaled' }),
  status: Type.Enum(['posting', 'posted', 'failed', 'empty']),
  documentId: Type.Union([Type.String(), Type.Null()], { description: "The ERP's id of the journal" }),
  total: Type.String({ description: 'Debits (= credits)' }),
  lines: Type.Array(Type.Object({ account: Type.String(), description: Type.String(), amount: Type.String({ description: 'Debit positive, credit negative' }), dimensions: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]) })),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  postedAt: Type.Union([Timestamp, Type.Null()]),
});

export function revenueJournalRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v1/revenue-journals',
    {
      config: { auth: { roles: ['finance'] }, idempotent: true },
      schema: {
        tags: ['revenue'],
        summary: "Post a period's revenue recognition now: one balanced journal per ERP connection and currency (Dr deferred revenue / Cr revenue)",
        body: Type.Object(
          {
            period: Period,
            connectionId: Type.Optional({ ...Uuid, description: 'One ERP connection; default every active one' }),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ period: Period, connectionId: Type.Union([Uuid, Type.Null()]), queued: Type.Boolean() }) },
      },
    },
    async (request, reply) => {
      const { period, connectionId } = request.body;
      if (connectionId) {
        const connection = await ctx.db.selectFrom('connections').select(['provider', 'status']).where('id', '=', connectionId).executeTakeFirst();
        if (!connection || !(ERP_SYSTEMS as readonly string[]).includes(connection.provider)) {
          throw badRequest('connectionId', connection ? `is a ${connection.provider} connection, not an ERP (${ERP_SYSTEMS.join(', ')})` : 'no such connection');
        }
        if (connection.status !== 'active') throw badRequest('connectionId', `the connection is ${connection.status}`);
      }
      const { actor } = actorOf(request);
      await ctx.db.transaction().execute(async (trx) => {
        await enqueueJob(trx, POST_JOURNALS_TASK, { period, ...(connectionId ? { connectionId } : {}), requestedBy: actor }, { jobKey: `erp-journals:${connectionId ?? 'all'}:${period}`, queueName: 'erp:journals' });
        await writeAudit(trx, { ...actorOf(request), action: 'revenue_journals.post', entity: 'revenue_journal', entityId: period, before: null, after: { period, connectionId: connectionId ?? null } });
      });
      return reply.code(202).send({ period, connectionId: connectionId ?? null, queued: true });
    },
  );

  r.get(
    '/v1/revenue-journals',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['revenue'],
        summary: "The period's revenue journals per ERP connection and currency, with their ERP document ids",
        querystring: Type.Object({ period: Period, connectionId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: Type.Object({ items: Type.Array(JournalSchema) }) },
      },
    },
    async (request) => {
      let query = ctx.db.selectFrom('revenue_journals').selectAll().where('period', '=', request.query.period);
      if (request.query.connectionId) query = query.where('connection_id', '=', request.query.connectionId);
      const rows = await query.orderBy('connection_id').orderBy('currency').orderBy('sequence').execute();
      return {
        items: rows.map((j) => ({
          id: j.id,
          connectionId: j.connection_id,
          system: j.system as 'xero',
          period: j.period,
          currency: j.currency,
          number: journalNumber(j.period, j.currency, j.sequence),
          sequence: j.sequence,
          status: j.status as 'posted',
          documentId: j.document_id,
          total: j.total,
          lines: j.lines as { account: string; description: string; amount: string; dimensions: Record<string, unknown> | null }[],
          attempts: j.attempts,
          lastError: j.last_error,
          postedAt: j.posted_at?.toISOString() ?? null,
        })),
      };
    },
  );
}
