import type { FastifyInstance } from 'fastify';
import type { ThrottleOptions } from './partner-center/interfaces.ts';
import type { Throttle } from './partner-center/throttle.ts';

/**
 * The control routes every sandbox shares: PUT /_sandbox/throttle (400 naming a bad
 * option), GET /_sandbox/stats and POST /_sandbox/stats/reset.
 */
export function registerThrottleAndStatsRoutes<S extends object>(app: FastifyInstance, ctx: { throttle: Throttle; stats: S }, emptyStats: () => S): void {
  app.put('/_sandbox/throttle', async (req, reply) => {
    try {
      ctx.throttle.configure((req.body ?? {}) as ThrottleOptions);
    } catch (error) {
      return reply.code(400).send({ error: (error as Error).message });
    }
    return ctx.throttle.options;
  });
  app.get('/_sandbox/stats', async () => ctx.stats);
  app.post('/_sandbox/stats/reset', async () => Object.assign(ctx.stats, emptyStats()));
}
