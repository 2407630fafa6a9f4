import type Bottleneck from 'bottleneck';
import { createLimiter, type VendorLimits } from '../http/limits.ts';
import { hubspotDeclaration } from './declaration.ts';

export type HubSpotAuthMode = 'private-app' | 'oauth';

/**
 * A connection's documented budget as the shared limiter takes it: per 10 s by how it
 * authenticates, or the connection's own override for a higher tier.
 *
 * @example
 * hubspotLimits('private-app')  // { requestsPerSecond: 10, maxConcurrent: 5 } (100 per 10 s)
 * hubspotLimits('oauth', 190)   // { requestsPerSecond: 19, maxConcurrent: 5 }
 */
export function hubspotLimits(mode: HubSpotAuthMode, requestsPerTenSeconds?: number): VendorLimits {
  const documented = mode === 'oauth' ? hubspotDeclaration.limits.oauthApp : hubspotDeclaration.limits.privateApp;
  const budget = requestsPerTenSeconds ?? documented.requestsPerTenSeconds;
  return { requestsPerSecond: budget / 10, maxConcurrent: hubspotDeclaration.limits.maxConcurrent };
}

/** One limiter per connection; evenly spaced starts keep any rolling 10-second window under budget. */
export function createHubSpotLimiter(mode: HubSpotAuthMode, requestsPerTenSeconds?: number): Bottleneck {
  return createLimiter(hubspotLimits(mode, requestsPerTenSeconds));
}
