import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubspotLimits } from '../../src/connectors/hubspot/limits.ts';
import { loadConnectionSecrets } from '../../src/db/connection-secrets.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

let named = 0;
const create = (credentials: Record<string, string>, settings: Record<string, unknown> = {}) =>
  hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'hubspot', name: `CRM ${++named}`, credentials, settings },
  });

describe('hubspot connections', () => {
  it('is listed with its credential and setting fields', async () => {
    const res = await hub.app.inject({ method: 'GET', url: '/v1/providers', headers: hub.auth(hub.keys.admin) });
    const hubspot = res.json().items.find((p: { name: string }) => p.name === 'hubspot');
    expect(hubspot.credentialFields.map((f: { name: string; secret: boolean }) => [f.name, f.secret])).toEqual([
      ['accessToken', true],
      ['clientId', false],
      ['clientSecret', true],
      ['refreshToken', true],
    ]);
    expect(hubspot.settingFields.map((f: { name: string }) => f.name)).toEqual(['baseUrl', 'portalId', 'tenantIdProperty', 'requestsPerTenSeconds', 'onboardingTemplateProperty']);
  });

  it('accepts a private app token or an OAuth refresh token, each with the app client secret, encrypted at rest', async () => {
    const privateApp = await create({ accessToken: 'pat-na1-secret', clientSecret: 'app-secret' }, { portalId: '62515' });
    expect(privateApp.statusCode).toBe(201);
    expect(privateApp.body).not.toContain('pat-na1-secret');
    const row = await hub.ctx.db.selectFrom('connections').select('credentials_encrypted').where('id', '=', privateApp.json().id).executeTakeFirstOrThrow();
    expect(row.credentials_encrypted).not.toContain('app-secret');
    expect((await loadConnectionSecrets(hub.ctx, privateApp.json().id)).credentials).toEqual({ accessToken: 'pat-na1-secret', clientSecret: 'app-secret' });

    const oauth = await create({ clientId: 'client-1', clientSecret: 'app-secret', refreshToken: 'rt-1' });
    expect(oauth.statusCode, oauth.body).toBe(201);
    expect(oauth.json().credentialFields).toEqual(['clientId', 'clientSecret', 'refreshToken']);
  });

  it('refuses a connection with no way to authenticate, or without the webhook secret, naming the field', async () => {
    const none = await create({ clientSecret: 'app-secret', clientId: 'client-1' });
    expect(none.statusCode).toBe(400);
    expect(none.json().field).toBe('credentials.accessToken');
    expect(none.json().detail).toContain('accessToken, or clientId + refreshToken');

    const noSecret = await create({ accessToken: 'pat' });
    expect(noSecret.statusCode).toBe(400);
    expect(noSecret.json().field).toBe('credentials.clientSecret');

    const badSetting = await create({ accessToken: 'pat', clientSecret: 's' }, { apiKey: 'x' });
    expect(badSetting.statusCode).toBe(400);
    expect(badSetting.json().field).toBe('settings.apiKey');
  });
});

describe('hubspot limits', () => {
  // HubSpot usage guidelines: private apps 100 requests per 10 s (Free/Starter), public OAuth apps 110 per 10 s.
  it('spends the documented budget per 10 s, or a connection override', () => {
    expect(hubspotLimits('private-app')).toEqual({ requestsPerSecond: 10, maxConcurrent: 5 });
    expect(hubspotLimits('oauth')).toEqual({ requestsPerSecond: 11, maxConcurrent: 5 });
    expect(hubspotLimits('private-app', 250)).toEqual({ requestsPerSecond: 25, maxConcurrent: 5 });
  });
});
