/**
 * The Entra ID (Azure AD) token endpoints: v1 `POST /{tenant}/oauth2/token`
 * (`resource=`) and v2 `POST /{tenant}/oauth2/v2.0/token` (`scope=`), with the
 * `refresh_token` (Secure Application Model) and `client_credentials` grants and
 * Entra's error JSON for every refusal.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SandboxContext } from '../context.ts';
import { aadError } from '../errors.ts';
import { audienceOf, type Audience } from '../tokens.ts';

type Form = Record<string, string | undefined>;

export function registerAuthorityRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/token', async (req, reply) => token(ctx, reply, req.params.tenant, form(req.body), 'v1'));
  app.post<{ Params: { tenant: string } }>('/:tenant/oauth2/v2.0/token', async (req, reply) => token(ctx, reply, req.params.tenant, form(req.body), 'v2'));
}

function form(body: unknown): Form {
  return body && typeof body === 'object' ? (body as Form) : {};
}

function token(ctx: SandboxContext, reply: FastifyReply, tenant: string, body: Form, version: 'v1' | 'v2'): FastifyReply {
  const now = ctx.wallClock();
  const fail = (status: number, error: string, code: number, description: string): FastifyReply => {
    if (status === 401) ctx.stats.unauthorized++;
    return reply.code(status).type('application/json; charset=utf-8').send(aadError(error, code, description, now));
  };
  const { credentials } = ctx;
  const partnerDomain = ctx.portfolio.partner.domain;
  const customerTenant = tenant.toLowerCase() === credentials.tenantId || tenant.toLowerCase() === partnerDomain ? undefined : ctx.portfolio.customer(tenant.toLowerCase());
  if (tenant.toLowerCase() !== credentials.tenantId && tenant.toLowerCase() !== partnerDomain && !customerTenant) {
    return fail(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
  }
  const grantType = body.grant_type;
  if (!grantType) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grantType !== 'refresh_token' && grantType !== 'client_credentials') {
    return fail(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!body.client_id) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  if (body.client_id !== credentials.clientId) {
    return fail(400, 'unauthorized_client', 700016, `Application with identifier '${body.client_id}' was not found in the directory '${tenant}'.`);
  }
  if (!body.client_secret) return fail(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  if (body.client_secret !== credentials.clientSecret) {
    return fail(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
  }

  let audience: Audience | undefined;
  let scope = '';
  if (version === 'v1') {
    if (!body.resource) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'resource'.");
    audience = audienceOf(body.resource);
    if (!audience) return fail(400, 'invalid_resource', 500011, `The resource principal named ${body.resource} was not found in the tenant named ${tenant}.`);
  } else {
    if (!body.scope) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const resourceScopes = body.scope.split(/\s+/).filter((s) => s.includes('/'));
    const first = resourceScopes[0];
    if (!first) return fail(400, 'invalid_scope', 70011, `The provided value for the input parameter 'scope' is not valid.`);
    audience = audienceOf(first.slice(0, first.lastIndexOf('/')));
    if (!audience) return fail(400, 'invalid_resource', 500011, `The resource principal named ${first} was not found in the tenant named ${tenant}.`);
    if (grantType === 'client_credentials' && !first.endsWith('/.default')) {
      return fail(400, 'invalid_scope', 1002012, `The provided value for scope ${first} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`);
    }
    scope = body.scope;
  }

  const delegated = grantType === 'refresh_token';
  if (delegated) {
    if (!body.refresh_token) return fail(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'refresh_token'.");
    const state = ctx.tokens.checkRefresh(body.refresh_token);
    if (state === 'unknown') return fail(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (state === 'expired') return fail(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity.');
  }

  if (customerTenant) {
    // A customer's tenant admits the partner's app only on behalf of a partner user, and only
    // while an active GDAP relationship with an active access assignment lets that user in.
    if (!delegated) return fail(400, 'unauthorized_client', 700016, `Application with identifier '${credentials.clientId}' was not found in the directory '${tenant}'.`);
    const relationship = ctx.gdap.list(ctx.wallClock(), ctx.revoked).find((r) => r.customerTenantId === customerTenant.id);
    if (relationship?.status !== 'active' || !relationship.assignments.some((a) => a.status === 'active' && a.roles.length > 0)) {
      return fail(400, 'invalid_grant', 50020, `User account from identity provider does not exist in tenant '${tenant}' and cannot access the application in that tenant.`);
    }
  }
  const access = ctx.tokens.issueAccess(audience, credentials.clientId, delegated, customerTenant?.id);
  const expiresIn = access.expiresAt - access.issuedAt;
  ctx.stats.tokensIssued++;
  const refresh = delegated ? ctx.tokens.issueRefresh() : undefined;
  // v1 sends its numbers as strings, v2 as numbers: clients trip over exactly this.
  const payload =
    version === 'v1'
      ? {
          token_type: 'Bearer',
          ...(delegated ? { scope: 'user_impersonation' } : {}),
          expires_in: String(expiresIn),
          ext_expires_in: String(expiresIn),
          expires_on: String(access.expiresAt),
          not_before: String(access.issuedAt),
          resource: audience,
          access_token: access.token,
          ...(refresh ? { refresh_token: refresh } : {}),
        }
      : {
          token_type: 'Bearer',
          scope,
          expires_in: expiresIn,
          ext_expires_in: expiresIn,
          access_token: access.token,
          ...(refresh ? { refresh_token: refresh } : {}),
        };
  return reply.code(200).header('cache-control', 'no-store, no-cache').type('application/json; charset=utf-8').send(JSON.stringify(payload));
}
