/**
 * The sandbox's own control API under /_sandbox, for tests and the demo: win or reopen an
 * opportunity and deliver the Outbound Message (or a Flow callout) to the hub, with
 * redeliveries; API limits; expire every session; statistics. Not part of Salesforce.
 */
import type { FastifyInstance } from 'fastify';
import { emptyStats, type LimitOptions, type SalesforceSandboxContext } from '../context.ts';
import { deliver } from '../delivery.ts';

interface StageBody {
  /** The hub's webhook URL, e.g. http://127.0.0.1:3000/webhooks/salesforce; none: no message. */
  deliverTo?: string;
  via?: 'outbound-message' | 'flow';
  /** Extra deliveries of the same message, as Salesforce's retries. */
  redeliveries?: number;
}

export function registerControlRoutes(app: FastifyInstance, ctx: SalesforceSandboxContext): void {
  for (const action of ['win', 'reopen'] as const) {
    app.post<{ Params: { id: string }; Body: StageBody | undefined }>(`/_sandbox/opportunities/:id/${action}`, async (req, reply) => {
      const { deliverTo, via, redeliveries = 0 } = req.body ?? {};
      if (!Number.isInteger(redeliveries) || redeliveries < 0 || redeliveries > 10) return reply.code(400).send({ error: 'redeliveries must be an integer from 0 to 10' });
      const record = action === 'win' ? ctx.org.win(req.params.id) : ctx.org.reopen(req.params.id);
      if (!record) return reply.code(404).send({ error: `unknown opportunity ${req.params.id}` });
      const deliveries = deliverTo ? await deliver(ctx, deliverTo, record, { ...(via ? { via } : {}), redeliveries }) : [];
      return { opportunity: record, deliveries };
    });
  }

  app.put<{ Body: LimitOptions | undefined }>('/_sandbox/limits', async (req) => {
    Object.assign(ctx.limits, req.body ?? {});
    return ctx.limits;
  });
  app.post('/_sandbox/sessions/expire', async () => {
    ctx.sessions.clear();
    return { expired: true };
  });
  app.get('/_sandbox/stats', async () => ctx.stats);
  app.post('/_sandbox/stats/reset', async () => Object.assign(ctx.stats, emptyStats()));
  app.get('/_sandbox/info', async () => ({ credentials: { ...ctx.credentials, privateKeyPem: '(given at start)' }, now: ctx.now().toISOString() }));
}
