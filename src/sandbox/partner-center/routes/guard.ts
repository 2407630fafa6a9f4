/**
 * The gate in front of every API surface: counts the call, applies the
 * throttle (429 + Retry-After), then checks the bearer token (401). Each surface
 * answers in its own error shape.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { graphError, partnerCenterError, partnerCenterThrottled } from '../errors.ts';
import type { Audience } from '../tokens.ts';

export type Surface = 'partner-center' | 'graph';

export function apiGuard(ctx: SandboxContext, audience: Audience, surface: Surface) {
  return async function guard(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    ctx.stats.calls++;
    // One window per API (the route) and, for customer-scoped calls, per customer tenant.
    const customer = (req.params as Record<string, string> | undefined)?.customerId ?? '';
    const wait = ctx.throttle.admit(`${req.method} ${req.routeOptions.url ?? req.url}|${customer.toLowerCase()}`);
    if (wait > 0) {
      ctx.stats.throttled++;
      ctx.stats.retryAfterSecondsRequested += wait;
      const body =
        surface === 'graph'
          ? graphError('TooManyRequests', `Too many requests. Retry after ${wait} seconds.`, ctx.wallClock())
          : partnerCenterThrottled(wait);
      return reply.code(429).header('retry-after', String(wait)).type('application/json; charset=utf-8').send(body);
    }
    ctx.stats.served++;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const check = match?.[1] ? ctx.tokens.verifyAccess(match[1], audience) : { ok: false as const, reason: 'Authorization header with a Bearer token is missing.' };
    if (!check.ok) {
      ctx.stats.unauthorized++;
      const body =
        surface === 'graph'
          ? graphError('InvalidAuthenticationToken', check.reason, ctx.wallClock())
          : partnerCenterError(match ? '400' : '800001', match ? `Access denied. ${check.reason}` : 'Partner Token missing in request context');
      return reply
        .code(401)
        .header('www-authenticate', `Bearer error="invalid_token", error_description="${check.reason}"`)
        .type('application/json; charset=utf-8')
        .send(body);
    }
    return undefined;
  };
}

/** Partner Center echoes the request and correlation ids it was given. */
export function partnerCenterHeaders(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const requestId = req.headers['ms-requestid'];
  const correlationId = req.headers['ms-correlationid'];
  if (typeof requestId === 'string') reply.header('ms-requestid', requestId);
  if (typeof correlationId === 'string') reply.header('ms-correlationid', correlationId);
  return reply.type('application/json; charset=utf-8');
}
