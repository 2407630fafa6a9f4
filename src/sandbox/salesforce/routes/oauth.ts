import { createPublicKey, verify } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { USER_ID } from '../catalog.ts';
import type { SalesforceSandboxContext } from '../context.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const MAX_JWT_LIFETIME_S = 180;

const oauthError = (error: string, description: string) => ({ error, error_description: description });

function decodePart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Why a JWT bearer assertion is refused, or undefined when Salesforce would accept it. */
function assertionProblem(ctx: SalesforceSandboxContext, assertion: string): string | undefined {
  const [head, claims, signature] = assertion.split('.');
  const header = decodePart(head);
  const body = decodePart(claims);
  if (!header || !body || signature === undefined) return 'invalid assertion';
  if (header.alg !== 'RS256') return 'invalid assertion: algorithm must be RS256';
  const signed = verify('RSA-SHA256', Buffer.from(`${head}.${claims}`), createPublicKey(ctx.credentials.publicKeyPem), Buffer.from(signature, 'base64url'));
  if (!signed) return 'invalid assertion: signature does not verify with the certificate of the app';
  if (body.iss !== ctx.credentials.clientId) return 'invalid client_id';
  if (body.aud !== ctx.url()) return 'audience is invalid';
  const now = ctx.now().getTime() / 1000;
  if (typeof body.exp !== 'number' || body.exp < now) return 'expired authorization code';
  if (body.exp > now + MAX_JWT_LIFETIME_S + 5) return 'invalid assertion: exp is more than 3 minutes ahead';
  if (body.sub !== ctx.credentials.username) return "user hasn't approved this consumer";
  return undefined;
}

/**
 * POST /services/oauth2/token (form-encoded): the JWT bearer flow (an RS256 assertion
 * signed with the key whose certificate the app holds) and the client credentials flow.
 * Neither returns a refresh token; a client mints a new access token when refused.
 */
export function registerOAuthRoutes(app: FastifyInstance, ctx: SalesforceSandboxContext): void {
  let issued = 0;
  app.post<{ Body: Record<string, string> }>('/services/oauth2/token', async (req, reply) => {
    const form = req.body ?? {};
    if (form.grant_type === JWT_BEARER) {
      const problem = assertionProblem(ctx, form.assertion ?? '');
      if (problem) return reply.code(400).send(oauthError('invalid_grant', problem));
    } else if (form.grant_type === 'client_credentials') {
      if (form.client_id !== ctx.credentials.clientId || form.client_secret !== ctx.credentials.clientSecret) {
        return reply.code(400).send(oauthError('invalid_client', 'invalid client credentials'));
      }
    } else {
      return reply.code(400).send(oauthError('unsupported_grant_type', 'grant type not supported'));
    }
    ctx.stats.tokensIssued++;
    const token = `${ctx.credentials.organizationId.slice(0, 15)}!sandbox.${++issued}.${ctx.now().getTime()}`;
    ctx.sessions.set(token, ctx.now().getTime() + ctx.sessionSeconds * 1000);
    return {
      access_token: token,
      instance_url: ctx.url(),
      id: `${ctx.url()}/id/${ctx.credentials.organizationId}/${USER_ID}`,
      token_type: 'Bearer',
      issued_at: String(ctx.now().getTime()),
      scope: 'api',
    };
  });
}
