/**
 * The sandbox's own control API under /_sandbox, for tests and the demo: edit, delete or
 * add time entries, change an agreement addition behind the hub's back, throttle, statistics. Not part of ConnectWise's API.
 */
import type { FastifyInstance } from 'fastify';
import { registerThrottleAndStatsRoutes } from '../../stats-routes.ts';
import type { Json } from '../account.ts';
import { emptyStats, type ConnectWiseSandboxContext } from '../context.ts';

export function registerControlRoutes(app: FastifyInstance, ctx: ConnectWiseSandboxContext): void {
  app.patch<{ Params: { id: string }; Body: Json }>('/_sandbox/time-entries/:id', async (req, reply) => ctx.account.editTimeEntry(Number(req.params.id), req.body ?? {}) ?? reply.code(404).send({ error: 'unknown entry' }));
  app.delete<{ Params: { id: string } }>('/_sandbox/time-entries/:id', async (req, reply) => (ctx.account.deleteTimeEntry(Number(req.params.id)) ? reply.code(204).send() : reply.code(404).send({ error: 'unknown entry' })));
  app.post<{ Body: Json }>('/_sandbox/time-entries', async (req, reply) => reply.code(201).send(ctx.account.addTimeEntry(req.body ?? {})));
  app.patch<{ Params: { agreementId: string; id: string }; Body: Json }>(
    '/_sandbox/agreements/:agreementId/additions/:id',
    async (req, reply) => ctx.account.patchAddition(Number(req.params.agreementId), Number(req.params.id), req.body ?? {}) ?? reply.code(404).send({ error: 'unknown addition' }),
  );
  registerThrottleAndStatsRoutes(app, ctx, emptyStats);
  app.get('/_sandbox/info', async () => ({ credentials: ctx.credentials }));
}
