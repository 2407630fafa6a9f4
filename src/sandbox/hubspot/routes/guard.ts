import type { FastifyReply, FastifyRequest } from 'fastify';
import { hubspotError, type HubSpotSandboxContext } from '../context.ts';

const TEN_SECONDS_MS = 10_000;

/**
 * In front of every CRM call: the ten-second rolling limit (429 with HubSpot's body and
 * rate-limit headers, plus Retry-After), then the Bearer token (a private app token or
 * an unexpired OAuth access token).
 */
export function crmGuard(ctx: HubSpotSandboxContext) {
  return async function guard(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    ctx.stats.calls++;
    const limit = ctx.throttle.options.limit;
    if (limit) reply.header('x-hubspot-ratelimit-max', String(limit)).header('x-hubspot-ratelimit-interval-milliseconds', String(TEN_SECONDS_MS));
    const wait = ctx.throttle.admit();
    if (wait > 0) {
      ctx.stats.throttled++;
      const body = hubspotError('You have reached your ten_secondly_rolling limit.', 'RATE_LIMITS', { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      return reply.code(429).header('retry-after', String(wait)).header('x-hubspot-ratelimit-remaining', '0').send(body);
    }
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expires = token ? ctx.accessTokens.get(token) : undefined;
    const valid = token === ctx.credentials.privateAppToken || (expires !== undefined && expires > ctx.now().getTime());
    if (!valid) {
      ctx.stats.unauthorized++;
      const message = token ? 'The OAuth token used to make this call expired or is not valid.' : 'Authentication credentials not found.';
      return reply.code(401).send(hubspotError(message, 'INVALID_AUTHENTICATION'));
    }
    ctx.stats.served++;
    return undefined;
  };
}
