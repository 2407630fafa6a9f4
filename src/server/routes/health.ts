import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { MISSED_BEATS_BEFORE_DEAD } from '../../jobs/worker.ts';

export function healthRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/health',
    {
      config: { auth: 'public' },
      schema: { tags: ['system'], summary: 'The process is up', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
    },
    async () => ({ status: 'ok' as const }),
  );

  const Ready = Type.Object({
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
    worker: Type.Union([Type.Literal('ok'), Type.Literal('stale'), Type.Literal('none')]),
    workerSeenAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  });

  r.get(
    '/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['system'],
        summary: 'The database is reachable and a worker has sent a heartbeat recently',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      let database: 'ok' | 'unreachable' = 'ok';
      let seenAt: Date | null = null;
      try {
        const row = await sql<{ seen_at: Date | null }>`select max(seen_at) as seen_at from worker_heartbeats`.execute(ctx.db);
        seenAt = row.rows[0]?.seen_at ?? null;
      } catch {
        database = 'unreachable';
      }
      const worker = seenAt === null ? 'none' : Date.now() - seenAt.getTime() <= ctx.config.workerHeartbeatMs * MISSED_BEATS_BEFORE_DEAD ? 'ok' : 'stale';
      const ready = database === 'ok' && worker === 'ok';
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        database,
        worker,
        workerSeenAt: seenAt ? seenAt.toISOString() : null,
      });
    },
  );
}
