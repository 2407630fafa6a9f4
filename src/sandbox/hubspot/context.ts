import type { Throttle } from '../partner-center/throttle.ts';
import type { HubSpotAccount } from './account.ts';

export interface HubSpotSandboxCredentials {
  portalId: number;
  appId: number;
  /** A private app token: accepted as a Bearer token, never expires. */
  privateAppToken: string;
  clientId: string;
  /** The app's client secret: OAuth refreshes need it, and webhooks are signed with it. */
  clientSecret: string;
  refreshToken: string;
}

export interface HubSpotSandboxStats {
  calls: number;
  served: number;
  throttled: number;
  unauthorized: number;
  tokenRefreshes: number;
  webhookDeliveries: number;
  /** Property updates (PATCH) made through the CRM API, i.e. by the hub. */
  writes: number;
}

export interface HubSpotSandboxContext {
  account: HubSpotAccount;
  credentials: HubSpotSandboxCredentials;
  throttle: Throttle;
  /** Access tokens issued by the OAuth endpoint, with their expiry (epoch ms). */
  accessTokens: Map<string, number>;
  accessTokenSeconds: number;
  stats: HubSpotSandboxStats;
  now: () => Date;
  nextEventId: () => number;
}

export const emptyStats = (): HubSpotSandboxStats => ({ calls: 0, served: 0, throttled: 0, unauthorized: 0, tokenRefreshes: 0, webhookDeliveries: 0, writes: 0 });

let correlation = 0;
/** HubSpot's error body: status, message, a correlation id, and a category. */
export function hubspotError(message: string, category: string, extra: Record<string, unknown> = {}) {
  correlation++;
  return { status: 'error', message, correlationId: `00000000-0000-4000-8000-${String(correlation).padStart(12, '0')}`, category, ...extra };
}
