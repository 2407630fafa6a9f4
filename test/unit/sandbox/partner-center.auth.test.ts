import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartnerCenterSandbox, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { GRAPH_RESOURCE, PC_RESOURCE, token } from './partner-center-client.ts';

let wallMs = Date.parse('2026-09-20T12:00:00Z');
let sandbox: PartnerCenterSandbox;

beforeAll(async () => {
  sandbox = await startPartnerCenterSandbox({ seed: 11, customers: 3, now: new Date('2026-09-20T12:00:00Z'), wallClock: () => wallMs, tokenLifetimeSeconds: 600 });
});
afterAll(() => sandbox.close());

function form(fields: Record<string, string>): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) };
}

function v1(fields: Record<string, string>) {
  return fetch(`${sandbox.authorityUrl}/${sandbox.credentials.tenantId}/oauth2/token`, form(fields));
}

function v2(fields: Record<string, string>) {
  return fetch(`${sandbox.authorityUrl}/${sandbox.credentials.tenantId}/oauth2/v2.0/token`, form(fields));
}

function refreshGrant(overrides: Record<string, string> = {}): Record<string, string> {
  const c = sandbox.credentials;
  return { grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken, resource: PC_RESOURCE, ...overrides };
}

describe('token endpoint', () => {
  it('exchanges the SAM refresh token (v1) and returns a new refresh token each time, strings for numbers', async () => {
    const res = await v1(refreshGrant());
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: '600', resource: PC_RESOURCE });
    expect(typeof body.access_token).toBe('string');
    expect(body.refresh_token).not.toBe(sandbox.credentials.refreshToken);

    // The rotated token works, and so does the old one.
    const again = await v1(refreshGrant({ refresh_token: body.refresh_token as string }));
    expect(again.status).toBe(200);
    expect((await v1(refreshGrant())).status).toBe(200);
  });

  it('serves v2 scopes and client credentials', async () => {
    const c = sandbox.credentials;
    const delegated = await v2({ grant_type: 'refresh_token', client_id: c.clientId, client_secret: c.clientSecret, refresh_token: c.refreshToken, scope: `${PC_RESOURCE}/user_impersonation offline_access` });
    expect(delegated.status).toBe(200);
    expect(((await delegated.json()) as Record<string, unknown>).expires_in).toBe(600);

    const app = await v2({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: `${GRAPH_RESOURCE}/.default` });
    expect(app.status).toBe(200);
    const body = (await app.json()) as Record<string, unknown>;
    expect(body.refresh_token).toBeUndefined();

    const noDefault = await v2({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: `${GRAPH_RESOURCE}/PartnerBilling.Read.All` });
    expect(noDefault.status).toBe(400);
    expect(((await noDefault.json()) as Record<string, unknown>).error).toBe('invalid_scope');
  });

  it('refuses a wrong client secret with 401 invalid_client in Entra error shape', async () => {
    const res = await v1(refreshGrant({ client_secret: 'nope' }));
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('invalid_client');
    expect(body.error_codes).toEqual([7000215]);
    expect(body.error_description).toMatch(/^AADSTS7000215: /);
    expect(body).toHaveProperty('trace_id');
    expect(body).toHaveProperty('correlation_id');
  });

  it('refuses unknown refresh tokens, unknown clients, tenants, resources and grants with 400', async () => {
    const cases: Array<[Promise<Response>, string]> = [
      [v1(refreshGrant({ refresh_token: 'garbage' })), 'invalid_grant'],
      [v1(refreshGrant({ client_id: '00000000-0000-0000-0000-000000000000' })), 'unauthorized_client'],
      [v1(refreshGrant({ resource: 'https://management.azure.com' })), 'invalid_resource'],
      [v1(refreshGrant({ grant_type: 'password' })), 'unsupported_grant_type'],
      [fetch(`${sandbox.authorityUrl}/contoso.example/oauth2/token`, form(refreshGrant())), 'invalid_request'],
    ];
    for (const [pending, error] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      expect(((await res.json()) as Record<string, unknown>).error).toBe(error);
    }
  });
});

describe('API authentication', () => {
  it('answers 401 without a token, with a garbage token, with a token for another audience', async () => {
    const url = `${sandbox.partnerCenterUrl}/v1/customers?size=10`;
    const missing = await fetch(url);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as Record<string, unknown>).code).toBe('800001');
    expect((await fetch(url, { headers: { authorization: 'Bearer not.a.token' } })).status).toBe(401);
    const graphToken = await token(sandbox, GRAPH_RESOURCE);
    expect((await fetch(url, { headers: { authorization: `Bearer ${graphToken}` } })).status).toBe(401);
    const pcToken = await token(sandbox, PC_RESOURCE);
    const graph = await fetch(`${sandbox.graphUrl}/reports/partners/billing/operations/x`, { headers: { authorization: `Bearer ${pcToken}` } });
    expect(graph.status).toBe(401);
    expect(((await graph.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
  });

  it('accepts a fresh token and refuses it once expired', async () => {
    const url = `${sandbox.partnerCenterUrl}/v1/customers?size=10`;
    const pcToken = await token(sandbox, PC_RESOURCE);
    expect((await fetch(url, { headers: { authorization: `Bearer ${pcToken}` } })).status).toBe(200);
    wallMs += 601_000;
    const expired = await fetch(url, { headers: { authorization: `Bearer ${pcToken}` } });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect((await fetch(url, { headers: { authorization: `Bearer ${await token(sandbox, PC_RESOURCE)}` } })).status).toBe(200);
  });

  it('stops honouring refresh tokens once they are revoked', async () => {
    sandbox.revokeRefreshTokens();
    const res = await v1(refreshGrant());
    expect(res.status).toBe(400);
    expect(((await res.json()) as Record<string, unknown>).error).toBe('invalid_grant');
    expect(sandbox.stats().unauthorized).toBeGreaterThan(0);
  });
});
