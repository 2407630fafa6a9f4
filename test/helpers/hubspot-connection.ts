import { expect } from 'vitest';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { hubspotWebhookProvider } from '../../src/connectors/hubspot/webhook.ts';
import { hubspotV3 } from './hubspot-vendor.ts';
import { createTestHub, type TestHub } from './test-hub.ts';

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

/**
 * A test hub taking HubSpot webhooks against the clock `now`, signed URIs under HubSpot's
 * worked example's public base, with one connection for portal 62515 holding the
 * example's client secret. Returns the hub and the connection id.
 */
export async function hubspotWebhookHub(now: () => number): Promise<{ hub: TestHub; connectionId: string }> {
  const hub = await createTestHub({ webhookProviders: [hubspotWebhookProvider({ now })], env: { HUB_PUBLIC_URL: hubspotV3.example.publicBase } });
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: { provider: 'hubspot', name: 'CRM', credentials: { accessToken: 'pat-1', clientSecret: hubspotV3.example.secret }, settings: { portalId: '62515' } },
  });
  expect(res.statusCode).toBe(201);
  return { hub, connectionId: res.json().id as string };
}
