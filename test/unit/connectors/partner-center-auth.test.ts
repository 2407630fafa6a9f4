import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VendorAuthError } from '../../../src/connectors/http/errors.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import { TokenProvider } from '../../../src/connectors/partner-center/auth.ts';
import type { TokenProviderOptions } from '../../../src/connectors/partner-center/auth.ts';

const AUTHORITY = 'https://login.test';
const V1_TOKEN = '/partner-tenant/oauth2/token';
const V2_TOKEN = '/partner-tenant/oauth2/v2.0/token';

const credentials = { tenantId: 'partner-tenant', clientId: 'app-id', clientSecret: 'app-secret', refreshToken: 'rt-1' };

function provider(overrides: Partial<TokenProviderOptions> = {}) {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const rotated: string[] = [];
  const tokens = new TokenProvider({
    credentials,
    authorityUrl: AUTHORITY,
    limiter: createLimiter({}),
    now: () => now,
    sleep: async () => undefined,
    onRefreshTokenRotated: (token) => {
      rotated.push(token);
    },
    ...overrides,
  });
  return { tokens, rotated, advance: (ms: number) => (now += ms) };
}

type Form = Record<string, string>;

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('TokenProvider: app + user (Secure Application Model)', () => {
  it('exchanges the refresh token for a Partner Center token and stores the rotated refresh token', async () => {
    const scope = nock(AUTHORITY)
      .post(V1_TOKEN, (form: Form) =>
        form.grant_type === 'refresh_token' &&
        form.refresh_token === 'rt-1' &&
        form.resource === 'https://api.partnercenter.microsoft.com' &&
        form.client_id === 'app-id' &&
        form.client_secret === 'app-secret',
      )
      // The v1 endpoint sends expires_in as a string.
      .reply(200, { token_type: 'Bearer', expires_in: '3600', access_token: 'at-1', refresh_token: 'rt-2' });
    const { tokens, rotated } = provider();

    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-1');

    expect(rotated).toEqual(['rt-2']);
    expect(tokens.refreshToken).toBe('rt-2');
    expect(scope.isDone()).toBe(true);
  });

  it('serves the cached token until five minutes before expiry, then refreshes with the rotated refresh token', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN, (form: Form) => form.refresh_token === 'rt-1')
      .reply(200, { expires_in: 3600, access_token: 'at-1', refresh_token: 'rt-2' })
      .post(V1_TOKEN, (form: Form) => form.refresh_token === 'rt-2')
      .reply(200, { expires_in: 3600, access_token: 'at-2', refresh_token: 'rt-3' });
    const { tokens, rotated, advance } = provider();

    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-1');
    advance(55 * 60_000 - 1);
    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-1');
    expect(tokens.exchanges).toBe(1);
    advance(1);
    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-2');

    expect(tokens.exchanges).toBe(2);
    expect(rotated).toEqual(['rt-2', 'rt-3']);
  });

  it('lets concurrent callers share one exchange', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN)
      .delay(20)
      .reply(200, { expires_in: 3600, access_token: 'at-1', refresh_token: 'rt-2' });
    const { tokens, rotated } = provider();

    const all = await Promise.all(Array.from({ length: 5 }, () => tokens.getAccessToken('partner-center', 'app+user')));

    expect(all).toEqual(Array(5).fill('at-1'));
    expect(tokens.exchanges).toBe(1);
    expect(rotated).toEqual(['rt-2']);
  });

  it('does not call the rotation hook when Entra ID returns the same refresh token', async () => {
    nock(AUTHORITY).post(V1_TOKEN).reply(200, { expires_in: 3600, access_token: 'at-1', refresh_token: 'rt-1' });
    const { tokens, rotated } = provider();

    await tokens.getAccessToken('partner-center', 'app+user');

    expect(rotated).toEqual([]);
  });

  it('refreshes halfway through a token that lives less than the five-minute margin', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN)
      .reply(200, { expires_in: 60, access_token: 'short-1' })
      .post(V1_TOKEN)
      .reply(200, { expires_in: 60, access_token: 'short-2' });
    const { tokens, advance } = provider();

    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('short-1');
    advance(29_999);
    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('short-1');
    advance(1);
    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('short-2');
  });

  it('fetches a new token after invalidate()', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN)
      .reply(200, { expires_in: 3600, access_token: 'at-1' })
      .post(V1_TOKEN)
      .reply(200, { expires_in: 3600, access_token: 'at-2' });
    const { tokens } = provider();

    await tokens.getAccessToken('partner-center', 'app+user');
    tokens.invalidate('partner-center', 'app+user');

    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-2');
  });

  it('raises VendorAuthError, without retrying, when the refresh token is dead', async () => {
    nock(AUTHORITY).post(V1_TOKEN).reply(400, {
      error: 'invalid_grant',
      error_description: 'AADSTS700082: The refresh token has expired due to inactivity.',
    });
    const untouched = nock(AUTHORITY).post(V1_TOKEN).reply(200, { expires_in: 3600, access_token: 'never' });
    const { tokens } = provider();

    const error = await tokens.getAccessToken('partner-center', 'app+user').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error).toMatchObject({ call: 'oauth.refresh_token', status: 400, retryable: false, reason: 'auth' });
    expect((error as VendorAuthError).bodyExcerpt).toContain('AADSTS700082');
    expect((error as Error).message).not.toContain('rt-1');
    expect(untouched.isDone()).toBe(false);
  });

  it('refuses app + user access when no refresh token is configured', async () => {
    const { tokens } = provider({ credentials: { ...credentials, refreshToken: undefined } });

    await expect(tokens.getAccessToken('partner-center', 'app+user')).rejects.toBeInstanceOf(VendorAuthError);
  });

  it('retries a throttled token endpoint', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN)
      .reply(429, '', { 'Retry-After': '1' })
      .post(V1_TOKEN)
      .reply(200, { expires_in: 3600, access_token: 'at-1' });
    const waits: number[] = [];
    const { tokens } = provider({ sleep: async (ms) => void waits.push(ms) });

    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('at-1');
    expect(waits).toEqual([1000]);
  });
});

describe('TokenProvider: app-only', () => {
  it('uses client credentials on the v2 endpoint for Graph partner billing, cached apart from Partner Center', async () => {
    nock(AUTHORITY)
      .post(V2_TOKEN, (form: Form) =>
        form.grant_type === 'client_credentials' &&
        form.scope === 'https://graph.microsoft.com/.default' &&
        form.refresh_token === undefined,
      )
      .reply(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'graph-at' })
      .post(V1_TOKEN, (form: Form) => form.grant_type === 'refresh_token')
      .reply(200, { expires_in: 3600, access_token: 'pc-at' });
    const { tokens, rotated } = provider();

    expect(await tokens.getAccessToken('graph', 'app-only')).toBe('graph-at');
    expect(await tokens.getAccessToken('partner-center', 'app+user')).toBe('pc-at');
    expect(await tokens.getAccessToken('graph', 'app-only')).toBe('graph-at');

    expect(tokens.exchanges).toBe(2);
    expect(rotated).toEqual([]);
  });

  it('uses client credentials against the Partner Center resource where the endpoint allows app-only', async () => {
    nock(AUTHORITY)
      .post(V1_TOKEN, (form: Form) => form.grant_type === 'client_credentials' && form.resource === 'https://api.partnercenter.microsoft.com')
      .reply(200, { expires_in: '3600', access_token: 'pc-app' });
    const { tokens } = provider({ credentials: { ...credentials, refreshToken: undefined } });

    expect(await tokens.getAccessToken('partner-center', 'app-only')).toBe('pc-app');
  });

  it('builds an Authorization header provider for the HTTP client', async () => {
    nock(AUTHORITY).post(V2_TOKEN).reply(200, { expires_in: 3600, access_token: 'graph-at' });
    const { tokens } = provider();

    expect(await tokens.authorizationHeaders('graph', 'app-only')()).toEqual({ authorization: 'Bearer graph-at' });
  });

  it('rejects a token response without an access token', async () => {
    nock(AUTHORITY).post(V2_TOKEN).reply(200, { expires_in: 3600 });
    const { tokens } = provider();

    await expect(tokens.getAccessToken('graph', 'app-only')).rejects.toThrow(/no usable access_token/);
  });
});
