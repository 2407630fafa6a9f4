import { createHash } from 'node:crypto';
import { createPartnerCenterLimiters, PartnerCenterClient, TokenProvider, type PartnerCenterLimiters } from '../../connectors/partner-center/index.ts';
import { createLimiter } from '../../connectors/http/limits.ts';
import { loadConnectionSecrets, updateConnectionSecret } from '../../db/connection-secrets.ts';
import type { HubContext } from '../../context.ts';

// One limiter set per connection per process: every job of one partner shares the
// documented budget instead of each job spending it alone.
const limitersByConnection = new Map<string, PartnerCenterLimiters>();

// One token provider per connection per process, for the same reason: every job of a
// run reuses the cached access tokens instead of exchanging the refresh token again
// (one exchange per job queued 200 customer jobs behind the token endpoint's 5/s).
interface SharedTokens {
  provider: TokenProvider;
  /** Which credentials it was built from: other ones (a rotated secret, another authority) need a new provider. */
  fingerprint: string;
  /** The refresh tokens it has held: any of them stored on the connection is this provider's own rotation. */
  refreshTokens: Set<string>;
}
const tokensByConnection = new Map<string, SharedTokens>();

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
  const clientCredentials = {
    tenantId: credentials.tenantId!,
    clientId: credentials.clientId!,
    clientSecret: credentials.clientSecret!,
    ...(credentials.refreshToken ? { refreshToken: credentials.refreshToken } : {}),
  };
  const authorityUrl = settings.authorityUrl ? String(settings.authorityUrl) : undefined;
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([clientCredentials.tenantId, clientCredentials.clientId, clientCredentials.clientSecret, authorityUrl ?? '']))
    .digest('hex');
  let tokens = tokensByConnection.get(connectionId);
  const storedRefresh = clientCredentials.refreshToken;
  if (!tokens || tokens.fingerprint !== fingerprint || (storedRefresh !== undefined && !tokens.refreshTokens.has(storedRefresh))) {
    const refreshTokens = new Set<string>(storedRefresh ? [storedRefresh] : []);
    const provider = new TokenProvider({
      credentials: clientCredentials,
      ...(authorityUrl !== undefined && { authorityUrl }),
      limiter: limiters.authority,
      // Microsoft rotates the refresh token on every exchange; losing the new one locks the partner out.
      onRefreshTokenRotated: async (refreshToken) => {
        refreshTokens.add(refreshToken);
        await updateConnectionSecret(ctx, connectionId, { refreshToken });
      },
      logger: ctx.logger,
    });
    tokens = { provider, fingerprint, refreshTokens };
    tokensByConnection.set(connectionId, tokens);
  }
  return new PartnerCenterClient({
    credentials: clientCredentials,
    ...(settings.partnerCenterBaseUrl ? { baseUrl: String(settings.partnerCenterBaseUrl) } : {}),
    ...(settings.graphBaseUrl ? { graphBaseUrl: String(settings.graphBaseUrl) } : {}),
    ...(authorityUrl !== undefined ? { authorityUrl } : {}),
    ...(settings.blobBaseUrl ? { blobBaseUrl: String(settings.blobBaseUrl) } : {}),
    limiters,
    tokenProvider: tokens.provider,
    onRetry: () => hooks.onRetry?.(),
    ...(hooks.correlationId ? { correlationId: hooks.correlationId } : {}),
    logger: ctx.logger,
  });
}
