import { expect } from 'vitest';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import type { TestHub } from './test-hub.ts';

/** Connects the hub to the HubSpot sandbox through the API (private app token), with any further settings, and returns the connection id. */
export async function connectHubSpotSandbox(hub: TestHub, sandbox: HubSpotSandbox, settings: Record<string, string> = {}): Promise<string> {
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'hubspot',
      name: 'Sandbox CRM',
      credentials: { accessToken: sandbox.credentials.privateAppToken, clientSecret: sandbox.credentials.clientSecret },
      settings: { baseUrl: sandbox.url, portalId: String(sandbox.credentials.portalId), requestsPerTenSeconds: 1000, ...settings },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}
