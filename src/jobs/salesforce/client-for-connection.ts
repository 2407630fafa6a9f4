import type Bottleneck from 'bottleneck';
import { SalesforceClient, type SalesforceFieldNames } from '../../connectors/salesforce/client.ts';
import { SALESFORCE_DEFAULT_FIELDS, salesforceDeclaration } from '../../connectors/salesforce/declaration.ts';
import { createLimiter } from '../../connectors/http/limits.ts';
import { loadConnectionSecrets, updateConnectionSecret } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter per connection per process: every job of one org shares it.
const limiters = new Map<string, Bottleneck>();

export interface SalesforceConnectionClient {
  client: SalesforceClient;
  fields: SalesforceFieldNames;
}

const setting = (settings: Record<string, unknown>, name: string): string | undefined =>
  typeof settings[name] === 'string' && settings[name] !== '' ? (settings[name] as string).replace(/\/+$/, '') : undefined;

/**
 * A Salesforce client for a stored connection: its credentials, instance URL, field names
 * and limiter. A token Salesforce issues is stored (encrypted) on the connection, so every
 * process and job reuses it until Salesforce refuses it, instead of minting one per job.
 */
export async function salesforceClientFor(ctx: HubContext, connectionId: string, onRetry?: (errorCode: string, waitMs: number) => void): Promise<SalesforceConnectionClient> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  if (row.provider !== salesforceDeclaration.vendor) throw new Error(`connection ${connectionId} is a ${row.provider} connection, not salesforce`);
  const settings = row.settings as Record<string, unknown>;
  const instanceUrl = setting(settings, 'instanceUrl');
  if (!instanceUrl) throw new Error(`Salesforce connection ${connectionId} has no instanceUrl setting (the org's My Domain URL)`);
  let limiter = limiters.get(connectionId);
  if (!limiter) limiters.set(connectionId, (limiter = createLimiter({ maxConcurrent: salesforceDeclaration.limits.maxConcurrent })));
  const fields: SalesforceFieldNames = {
    tenantIdField: setting(settings, 'tenantIdField') ?? SALESFORCE_DEFAULT_FIELDS.tenantIdField,
    unitCostField: setting(settings, 'unitCostField') ?? SALESFORCE_DEFAULT_FIELDS.unitCostField,
    billingFrequencyField: setting(settings, 'billingFrequencyField') ?? SALESFORCE_DEFAULT_FIELDS.billingFrequencyField,
    termField: setting(settings, 'termField') ?? SALESFORCE_DEFAULT_FIELDS.termField,
    onboardingTemplateField: setting(settings, 'onboardingTemplateField') ?? null,
    multiCurrency: setting(settings, 'orgCurrency') === undefined,
  };
  const client = new SalesforceClient({
    credentials,
    instanceUrl,
    loginUrl: setting(settings, 'loginUrl') ?? salesforceDeclaration.baseUrls.login,
    apiVersion: setting(settings, 'apiVersion') ?? salesforceDeclaration.apiVersion,
    fields,
    limiter,
    onToken: (token) => updateConnectionSecret(ctx, connectionId, { accessToken: token.accessToken }),
    ...(onRetry ? { onRetry } : {}),
  });
  return { client, fields };
}
