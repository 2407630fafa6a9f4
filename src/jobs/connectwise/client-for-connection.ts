import type Bottleneck from 'bottleneck';
import { apiBaseUrl, ConnectWiseClient, siteOrigin, type ConnectWiseCredentials } from '../../connectors/connectwise/client.ts';
import { connectwiseDeclaration } from '../../connectors/connectwise/declaration.ts';
import { createLimiter } from '../../connectors/http/limits.ts';
import type { RetryEvent } from '../../connectors/http/types.ts';
import { loadConnectionSecrets } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter per connection per process: every job of one ConnectWise company shares its budget.
const limiters = new Map<string, { budget: number; limiter: Bottleneck }>();
// The codebase a site answers with, discovered once per connection and process.
const codebases = new Map<string, string>();

/** The codebase (`v2025_1/`) from ConnectWise's unauthenticated company-info call. */
async function discoverCodebase(site: string, companyId: string, fetchImpl: typeof fetch = fetch): Promise<string> {
  const path = connectwiseDeclaration.companyInfoPath.replace('{companyId}', encodeURIComponent(companyId));
  const response = await fetchImpl(`${siteOrigin(site)}${path}`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`ConnectWise company info for ${companyId} at ${site}: HTTP ${response.status}`);
  const info = (await response.json()) as { Codebase?: string };
  if (!info.Codebase) throw new Error(`ConnectWise company info for ${companyId} at ${site} names no Codebase`);
  return info.Codebase;
}

export interface ConnectWiseClientFor {
  client: ConnectWiseClient;
  connection: { id: string; settings: Record<string, unknown> };
}

/** A ConnectWise client for a stored connection: its credentials, site, codebase, model version and limiter. */
export async function connectwiseClientFor(ctx: HubContext, connectionId: string, options: { onRetry?: (event: RetryEvent) => void; sleep?: (ms: number) => Promise<void> } = {}): Promise<ConnectWiseClientFor> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  if (row.provider !== connectwiseDeclaration.vendor) throw new Error(`connection ${connectionId} is a ${row.provider} connection, not connectwise`);
  const settings = row.settings as Record<string, unknown>;
  if (typeof settings.site !== 'string' || settings.site === '') throw new Error(`connection ${connectionId}: settings.site is required (e.g. api-na.myconnectwise.net)`);
  const creds = credentials as unknown as ConnectWiseCredentials;
  let codebase = typeof settings.codebase === 'string' && settings.codebase ? settings.codebase : codebases.get(connectionId);
  if (!codebase) {
    codebase = await discoverCodebase(settings.site, creds.companyId);
    codebases.set(connectionId, codebase);
  }
  const override = Number(settings.requestsPerMinute);
  const budget = Number.isFinite(override) && override > 0 ? override : connectwiseDeclaration.limits.requestsPerMinute;
  let shared = limiters.get(connectionId);
  if (!shared || shared.budget !== budget) {
    shared = { budget, limiter: createLimiter({ requestsPerMinute: budget, maxConcurrent: connectwiseDeclaration.limits.maxConcurrent }) };
    limiters.set(connectionId, shared);
  }
  const client = new ConnectWiseClient({
    credentials: creds,
    baseUrl: apiBaseUrl(settings.site, codebase),
    ...(typeof settings.apiVersion === 'string' ? { apiVersion: settings.apiVersion } : {}),
    limiter: shared.limiter,
    ...options,
  });
  return { client, connection: { id: row.id, settings } };
}
