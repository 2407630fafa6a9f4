/**
 * Microsoft Graph `GET /v1.0/subscribedSkus` in a customer's tenant (the token's `tid`,
 * obtained from the customer's authority through GDAP), in the shape Microsoft's reference
 * shows: one subscribedSku per SKU, `id` = tenant id + `_` + SKU id, prepaid seats by state.
 * In the partner's own tenant the list is empty (the sandbox partner buys nothing for itself).
 */
import type { FastifyInstance } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { AUDIENCES } from '../tokens.ts';
import { apiGuard } from './guard.ts';

export function registerLicenceRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.register(async (api) => {
    api.addHook('onRequest', apiGuard(ctx, AUDIENCES.graph, 'graph'));
    api.get('/v1.0/subscribedSkus', async (req, reply) => {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const check = ctx.tokens.verifyAccess(bearer, AUDIENCES.graph);
      const tenant = check.ok && typeof check.claims.tid === 'string' ? check.claims.tid : '';
      const customer = ctx.portfolio.customer(tenant);
      const skus = customer ? ctx.licences.list(customer, ctx.clock.nowMs()) : [];
      const value = skus.map((s) => ({
        accountId: tenant,
        accountName: customer?.companyName ?? '',
        appliesTo: 'User',
        capabilityStatus: s.enabled > 0 ? 'Enabled' : 'Suspended',
        consumedUnits: s.consumed,
        id: `${tenant}_${s.skuId}`,
        prepaidUnits: { enabled: s.enabled, lockedOut: 0, suspended: s.suspended, warning: 0 },
        servicePlans: [],
        skuId: s.skuId,
        skuPartNumber: s.skuPartNumber,
        subscriptionIds: [],
      }));
      return reply
        .code(200)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscribedSkus', value }));
    });
  });
}
