import type Bottleneck from 'bottleneck';
import { HubSpotClient } from '../../connectors/hubspot/client.ts';
import { createHubSpotLimiter } from '../../connectors/hubspot/limits.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

/** The company property read for the tenant id when the connection names none. */
export const DEFAULT_TENANT_ID_PROPERTY = 'partner_center_tenant_id';

// One limiter per connection per process: every job of one HubSpot account shares its budget.
const limiters = new Map<string, { budget: string; limiter: Bottleneck }>();

export interface HubSpotConnectionClient {
  client: HubSpotClient;
  tenantIdProperty: string;
  /** The deal property naming the onboarding template, when the connection names one. */
  onboardingTemplateProperty: string | null;
}

/** A HubSpot client for a stored connection: its credentials, base URL, budget and limiter. */
export async function hubspotClientFor(ctx: HubContext, connectionId: string, onRetry?: (status: number, waitMs: number) => void): Promise<HubSpotConnectionClient> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  if (row.provider !== 'hubspot') throw new Error(`connection ${connectionId} is a ${row.provider} connection, not hubspot`);
  const settings = row.settings as Record<string, string | number | undefined>;
  const mode = credentials.accessToken ? 'private-app' : 'oauth';
  const override = Number(settings.requestsPerTenSeconds);
  const perTen = Number.isFinite(override) && override > 0 ? override : undefined;
  const budget = `${mode}:${perTen ?? ''}`;
  let shared = limiters.get(connectionId);
  if (!shared || shared.budget !== budget) {
    shared = { budget, limiter: createHubSpotLimiter(mode, perTen) };
    limiters.set(connectionId, shared);
  }
  const tenantIdProperty = settings.tenantIdProperty ? String(settings.tenantIdProperty) : DEFAULT_TENANT_ID_PROPERTY;
  const client = new HubSpotClient({
    credentials,
    ...(settings.baseUrl ? { baseUrl: String(settings.baseUrl).replace(/\/+$/, '') } : {}),
    limiter: shared.limiter,
    tenantIdProperty,
    ...(onRetry ? { onRetry } : {}),
  });
  const onboardingTemplateProperty = settings.onboardingTemplateProperty ? String(settings.onboardingTemplateProperty) : null;
  return { client, tenantIdProperty, onboardingTemplateProperty };
}
