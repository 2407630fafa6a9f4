import type { WebhookProviderRegistry } from '../context.ts';
import { handleHubSpotEvent } from '../jobs/hubspot/deal-events.ts';
import { hubspotWebhookProvider } from './hubspot/webhook.ts';
import { handleSalesforceEvent } from '../jobs/salesforce/opportunity-events.ts';
import { salesforceWebhookProvider } from './salesforce/webhook.ts';
import { handleXeroEvent } from '../jobs/erp/xero-events.ts';
import { xeroWebhookProvider } from './xero/webhook.ts';
import { webhookRegistry } from './webhooks.ts';
import { connectwiseCallbackProvider } from './connectwise/callback.ts';
import { handleConnectWiseCallback } from '../jobs/connectwise/callbacks.ts';
import { handleQuickBooksEvent } from '../jobs/erp/quickbooks-events.ts';
import { quickbooksWebhookProvider } from './quickbooks/webhook.ts';

/** The webhook providers the hub answers at /webhooks/:provider. Connectors add theirs here. */
export function defaultWebhookProviders(): WebhookProviderRegistry {
  return webhookRegistry([
    hubspotWebhookProvider({ handle: handleHubSpotEvent }),
    salesforceWebhookProvider({ handle: handleSalesforceEvent }),
    connectwiseCallbackProvider({ handle: handleConnectWiseCallback }),
    xeroWebhookProvider({ handle: handleXeroEvent }),
    quickbooksWebhookProvider({ handle: handleQuickBooksEvent }),
  ]);
}
