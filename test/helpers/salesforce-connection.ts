import { expect } from 'vitest';
import { salesforceWebhookProvider } from '../../src/connectors/salesforce/webhook.ts';
import { handleSalesforceEvent } from '../../src/jobs/salesforce/opportunity-events.ts';
import { startSalesforceSandbox, type SalesforceSandbox, type SalesforceSandboxOptions } from '../../src/sandbox/salesforce/index.ts';
import { createTestHub, type TestHub } from './test-hub.ts';

/** Connects the hub to the Salesforce sandbox through the API (client credentials), with any further settings, and returns the connection id. */
export async function connectSalesforceSandbox(hub: TestHub, sandbox: SalesforceSandbox, settings: Record<string, unknown> = {}): Promise<string> {
  const c = sandbox.credentials;
  const res = await hub.app.inject({
    method: 'POST',
    url: '/v1/connections',
    headers: hub.auth(hub.keys.admin),
    payload: {
      provider: 'salesforce',
      name: 'Sandbox org',
      credentials: { clientId: c.clientId, clientSecret: c.clientSecret },
      settings: { instanceUrl: sandbox.url, loginUrl: sandbox.url, organizationId: c.organizationId, ...settings },
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** A Salesforce sandbox and a test hub taking its webhooks on a real port, connected by client credentials. */
export async function salesforceHub(options: { sandbox?: SalesforceSandboxOptions; settings?: Record<string, unknown> } = {}) {
  const sandbox = await startSalesforceSandbox(options.sandbox);
  const hub = await createTestHub({ webhookProviders: [salesforceWebhookProvider({ handle: handleSalesforceEvent })] });
  const hubUrl = `${await hub.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/salesforce`;
  const connectionId = await connectSalesforceSandbox(hub, sandbox, options.settings);
  return { sandbox, hub, hubUrl, connectionId };
}
