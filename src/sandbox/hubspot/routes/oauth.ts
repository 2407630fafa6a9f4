import type { FastifyInstance } from 'fastify';
import type { HubSpotSandboxContext } from '../context.ts';

/**
 * POST /oauth/v1/token with grant_type=refresh_token (form-encoded): a 30-minute access
 * token. HubSpot keeps the refresh token unchanged and returns it again.
 */
export function registerOAuthRoutes(app: FastifyInstance, ctx: HubSpotSandboxContext): void {
  let issued = 0;
  app.post<{ Body: Record<string, string> }>('/oauth/v1/token', async (req, reply) => {
    const form = req.body ?? {};
    const { clientId, clientSecret, refreshToken } = ctx.credentials;
    if (form.grant_type !== 'refresh_token') return reply.code(400).send({ status: 'BAD_GRANT_TYPE', message: 'grant_type must be refresh_token', correlationId: 'sandbox' });
    if (form.client_id !== clientId || form.client_secret !== clientSecret) {
      return reply.code(400).send({ status: 'BAD_CLIENT_ID', message: 'missing or unknown client id, or wrong client secret', correlationId: 'sandbox' });
    }
    if (form.refresh_token !== refreshToken) return reply.code(400).send({ status: 'BAD_REFRESH_TOKEN', message: 'missing or unknown refresh token', correlationId: 'sandbox' });
    ctx.stats.tokenRefreshes++;
    const accessToken = `sandbox-oauth-${++issued}-${ctx.now().getTime()}`;
    ctx.accessTokens.set(accessToken, ctx.now().getTime() + ctx.accessTokenSeconds * 1000);
    return { token_type: 'bearer', refresh_token: refreshToken, access_token: accessToken, expires_in: ctx.accessTokenSeconds };
  });
}
