/**
 * The sandbox's own control API under /_sandbox, for tests and the demo: win or reopen
 * a deal and deliver the signed webhook to the hub (with redeliveries), edit a record
 * as a person in HubSpot would (POST /_sandbox/objects/:type/:id), throttle,
 * statistics. Not part of HubSpot's API.
 */
import type { FastifyInstance } from 'fastify';
import { registerThrottleAndStatsRoutes } from '../../stats-routes.ts';
import { emptyStats, type HubSpotSandboxContext } from '../context.ts';
import { changeStage } from '../delivery.ts';
import type { ObjectType } from '../account.ts';

interface StageBody {
  /** The hub's webhook URL, e.g. http://127.0.0.1:3000/webhooks/hubspot; none: no webhook. */
  deliverTo?: string;
  /** Extra deliveries of the same batch, as HubSpot's retries. */
  redeliveries?: number;
}

export function registerControlRoutes(app: FastifyInstance, ctx: HubSpotSandboxContext): void {
  for (const action of ['win', 'reopen'] as const) {
    app.post<{ Params: { id: string }; Body: StageBody | undefined }>(`/_sandbox/deals/:id/${action}`, async (req, reply) => {
      const { deliverTo, redeliveries = 0 } = req.body ?? {};
      if (!Number.isInteger(redeliveries) || redeliveries < 0 || redeliveries > 10) return reply.code(400).send({ error: 'redeliveries must be an integer from 0 to 10' });
      const changed = await changeStage(ctx, req.params.id, action, deliverTo, redeliveries);
      return changed ?? reply.code(404).send({ error: `unknown deal ${req.params.id}` });
    });
  }

  // Someone edits a record in HubSpot's UI, behind the hub's back: tests and the demo make drift with it.
  app.post<{ Params: { type: string; id: string }; Body: { properties?: Record<string, string> } | undefined }>('/_sandbox/objects/:type/:id', async (req, reply) => {
    const properties = req.body?.properties;
    if (!properties || typeof properties !== 'object' || Object.values(properties).some((v) => typeof v !== 'string')) {
      return reply.code(400).send({ error: 'properties must be an object of text values' });
    }
    if (!['deals', 'line_items', 'companies'].includes(req.params.type)) return reply.code(404).send({ error: `unknown object type ${req.params.type}` });
    const updated = ctx.account.update(req.params.type as ObjectType, req.params.id, properties);
    return updated ?? reply.code(404).send({ error: `unknown ${req.params.type} ${req.params.id}` });
  });

  registerThrottleAndStatsRoutes(app, ctx, emptyStats);
  app.get('/_sandbox/info', async () => ({ credentials: ctx.credentials, now: ctx.now().toISOString() }));
}
