import { createPartnerCenterLimiters, PartnerCenterClient, type PartnerCenterLimiters } from '../../connectors/partner-center/index.ts';
import { createLimiter } from '../../connectors/http/limits.ts';
import { loadConnectionSecrets, updateConnectionSecret } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter set per connection per process: every job of one partner shares the
// documented budget instead of each job spending it alone.
const limitersByConnection = new Map<string, PartnerCenterLimiters>();

export interface ClientHooks {
  /** Called for every retried vendor call (429, 5xx, timeout), for the run's progress. */
  onRetry?: () => void;
  correlationId?: string;
}

/** A Partner Center client for a stored connection: decrypted credentials, its settings, its limiters. */
export async function partnerCenterClientFor(ctx: HubContext, connectionId: string, hooks: ClientHooks = {}): Promise<PartnerCenterClient> {
  const { row, credentials } = await loadConnectionSecrets(ctx, connectionId);
  if (row.provider !== 'partner-center') throw new Error(`connection ${connectionId} is a ${row.provider} connection, not partner-center`);
  const settings = row.settings as Record<string, string | number | undefined>;
  let limiters = limitersByConnection.get(connectionId);
  if (!limiters) {
    limiters = createPartnerCenterLimiters();
    // A partner (or a sandbox) may be granted a different budget than Microsoft's default.
    const rpm = Number(settings.requestsPerMinute);
    if (Number.isFinite(rpm) && rpm > 0) limiters.partnerCenter = createLimiter({ requestsPerMinute: rpm, maxConcurrent: 8 });
    const graphRpm = Number(settings.graphRequestsPerMinute);
    if (Number.isFinite(graphRpm) && graphRpm > 0) limiters.graph = createLimiter({ requestsPerMinute: graphRpm, maxConcurrent: 4 });
    limitersByConnection.set(connectionId, limiters);
  }
  return new PartnerCenterClient({
    credentials: {
      tenantId: credentials.tenantId!,
      clientId: credentials.clientId!,
      clientSecret: credentials.clientSecret!,
      ...(credentials.refreshToken ? { refreshToken: credentials.refreshToken } : {}),
    },
    ...(settings.partnerCenterBaseUrl ? { baseUrl: String(settings.partnerCenterBaseUrl) } : {}),
    ...(settings.graphBaseUrl ? { graphBaseUrl: String(settings.graphBaseUrl) } : {}),
    ...(settings.authorityUrl ? { authorityUrl: String(settings.authorityUrl) } : {}),
    ...(settings.blobBaseUrl ? { blobBaseUrl: String(settings.blobBaseUrl) } : {}),
    limiters,
    // Microsoft rotates the refresh token on every exchange; losing the new one locks the partner out.
    onRefreshTokenRotated: (refreshToken) => updateConnectionSecret(ctx, connectionId, { refreshToken }),
    onRetry: () => hooks.onRetry?.(),
    ...(hooks.correlationId ? { correlationId: hooks.correlationId } : {}),
    logger: ctx.logger,
  });
}
