/**
 * The sandbox's own control API under /_sandbox, for tests and the demo:
 * consent, throttle, business clock, statistics. Not part of Microsoft's API.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { emptyStats } from '../context.ts';
import { isoInstant } from '../calendar.ts';
import type { ThrottleOptions } from '../interfaces.ts';
import type { GdapOverride } from '../gdap.ts';
import type { LicenceOverride } from '../licence-assignments.ts';

export function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.get('/_sandbox/stats', async (_req, reply) => json(reply, 200, ctx.stats));
  app.post('/_sandbox/stats/reset', async (_req, reply) => {
    Object.assign(ctx.stats, emptyStats());
    return json(reply, 200, ctx.stats);
  });

  app.get('/_sandbox/throttle', async (_req, reply) => json(reply, 200, ctx.throttle.options));
  app.put('/_sandbox/throttle', async (req, reply) => {
    try {
      ctx.throttle.configure((req.body ?? {}) as ThrottleOptions);
    } catch (error) {
      return json(reply, 400, { error: (error as Error).message });
    }
    return json(reply, 200, ctx.throttle.options);
  });

  app.get('/_sandbox/now', async (_req, reply) => json(reply, 200, { now: isoInstant(ctx.clock.nowMs()) }));
  app.put('/_sandbox/now', async (req, reply) => {
    const raw = (req.body as { now?: unknown } | undefined)?.now;
    const date = typeof raw === 'string' ? new Date(raw) : undefined;
    if (!date || Number.isNaN(date.getTime())) return json(reply, 400, { error: "body must be { \"now\": \"<ISO 8601 instant>\" }" });
    ctx.clock.set(date);
    return json(reply, 200, { now: isoInstant(ctx.clock.nowMs()) });
  });

  app.post<{ Params: { customerId: string; action: string } }>('/_sandbox/consent/:customerId/:action', async (req, reply) => {
    const customer = ctx.portfolio.customer(req.params.customerId);
    if (!customer) return json(reply, 404, { error: `unknown customer ${req.params.customerId}` });
    if (req.params.action === 'revoke') ctx.revoked.add(customer.id);
    else if (req.params.action === 'restore') ctx.revoked.delete(customer.id);
    else return json(reply, 404, { error: "action must be 'revoke' or 'restore'" });
    return json(reply, 200, { customerId: customer.id, consent: ctx.revoked.has(customer.id) ? 'revoked' : 'active' });
  });

  // A customer's GDAP relationship: { endDateTime?, status?, autoExtendDuration?, assignedRoles?, absent? }.
  app.put<{ Params: { customerId: string } }>('/_sandbox/gdap/:customerId', async (req, reply) => {
    const customer = ctx.portfolio.customer(req.params.customerId);
    if (!customer) return json(reply, 404, { error: `unknown customer ${req.params.customerId}` });
    const body = (req.body ?? {}) as GdapOverride;
    if (body.endDateTime !== undefined && Number.isNaN(Date.parse(body.endDateTime))) return json(reply, 400, { error: 'endDateTime must be an ISO 8601 instant' });
    ctx.gdap.override(customer.id, body);
    return json(reply, 200, ctx.gdap.list(ctx.wallClock(), ctx.revoked).find((r) => r.customerTenantId === customer.id) ?? { customerId: customer.id, absent: true });
  });

  // Seats of one SKU in a customer's tenant: { consumed?, enabled? } (Graph subscribedSkus).
  app.put<{ Params: { customerId: string; skuPartNumber: string } }>('/_sandbox/licences/:customerId/:skuPartNumber', async (req, reply) => {
    const customer = ctx.portfolio.customer(req.params.customerId);
    if (!customer) return json(reply, 404, { error: `unknown customer ${req.params.customerId}` });
    const body = (req.body ?? {}) as LicenceOverride;
    for (const field of ['consumed', 'enabled'] as const) {
      const v = body[field];
      if (v !== undefined && (!Number.isInteger(v) || v < 0)) return json(reply, 400, { error: `${field} must be a whole number of seats, 0 or more` });
    }
    ctx.licences.override(customer.id, req.params.skuPartNumber, body);
    return json(reply, 200, ctx.licences.list(customer, ctx.clock.nowMs()));
  });

  app.get('/_sandbox/info', async (_req, reply) =>
    json(reply, 200, {
      partner: ctx.portfolio.partner,
      credentials: ctx.credentials,
      options: ctx.portfolio.options,
      now: isoInstant(ctx.clock.nowMs()),
      customers: ctx.portfolio.customers.map((c) => ({
        id: c.id,
        companyName: c.companyName,
        currency: c.geography.currency,
        consent: ctx.revoked.has(c.id) ? 'revoked' : 'active',
      })),
    }),
  );
}

function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}
