import type Bottleneck from 'bottleneck';
import { HttpClient } from '../http/client.ts';
import { VendorAuthError, isVendorCallError } from '../http/errors.ts';
import { createLimiter } from '../http/limits.ts';
import type { HttpLogger } from '../http/types.ts';
import { partnerCenterDeclaration } from './declaration.ts';
import type { PartnerCenterAudience } from './declaration.ts';

/**
 * `app+user`: the Secure Application Model (app registration + a partner user's
 * refresh token). `app-only`: client credentials, where an endpoint allows it.
 */
export type GrantMode = 'app+user' | 'app-only';

export interface PartnerCenterCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  refreshToken?: string | undefined;
}

export interface TokenProviderOptions {
  credentials: PartnerCenterCredentials;
  /** Default `https://login.microsoftonline.com`; the sandbox points it at itself. */
  authorityUrl?: string;
  /** The token endpoint's own limiter; default one built from the declaration. */
  limiter?: Bottleneck;
  /**
   * Entra ID returns a new refresh token on every exchange; this is where the caller
   * stores it (encrypted, on the connection) so the next process starts from it.
   */
  onRefreshTokenRotated?: (refreshToken: string) => Promise<void> | void;
  refreshBeforeExpiryMs?: number;
  now?: () => number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: HttpLogger;
  maxAttempts?: number;
  timeoutMs?: number;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
  refreshAt: number;
}

interface TokenResponse {
  access_token?: unknown;
  expires_in?: unknown;
  refresh_token?: unknown;
}

// Entra ID's answers when the grant itself is dead (refresh token expired or revoked,
// secret rotated, consent withdrawn): retrying cannot help, a person must re-consent.
const DEAD_GRANT = /invalid_grant|invalid_client|unauthorized_client|interaction_required|consent_required/;

/**
 * Access tokens for Partner Center and Graph, cached per audience and grant mode,
 * refreshed ahead of expiry, with concurrent callers sharing one exchange.
 *
 * @example
 * const tokens = new TokenProvider({ credentials, onRefreshTokenRotated: (t) => saveSecret(connectionId, t) });
 * const bearer = await tokens.getAccessToken('partner-center', 'app+user');
 */
export class TokenProvider {
  readonly #credentials: PartnerCenterCredentials;
  readonly #authorityUrl: string;
  readonly #http: HttpClient;
  readonly #onRefreshTokenRotated: TokenProviderOptions['onRefreshTokenRotated'];
  readonly #refreshBeforeExpiryMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, CachedToken>();
  readonly #inFlight = new Map<string, Promise<CachedToken>>();
  #refreshToken: string | undefined;
  #exchanges = 0;

  constructor(options: TokenProviderOptions) {
    this.#credentials = options.credentials;
    this.#refreshToken = options.credentials.refreshToken;
    this.#authorityUrl = (options.authorityUrl ?? partnerCenterDeclaration.baseUrls.authority).replace(/\/+$/, '');
    this.#onRefreshTokenRotated = options.onRefreshTokenRotated;
    this.#refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? partnerCenterDeclaration.auth.refreshBeforeExpiryMs;
    this.#now = options.now ?? Date.now;
    this.#http = new HttpClient({
      vendor: partnerCenterDeclaration.vendor,
      baseUrl: this.#authorityUrl,
      limiter: options.limiter ?? createLimiter(partnerCenterDeclaration.limits.authority),
      retryStatuses: partnerCenterDeclaration.retry.statuses,
      retryAfterHeader: partnerCenterDeclaration.retry.header,
      ...(options.fetch && { fetch: options.fetch }),
      ...(options.sleep && { sleep: options.sleep }),
      ...(options.random && { random: options.random }),
      ...(options.logger && { logger: options.logger }),
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  }

  /** Token exchanges made so far (cache misses), for metrics and tests. */
  get exchanges(): number {
    return this.#exchanges;
  }

  /** The newest refresh token, after any rotation. */
  get refreshToken(): string | undefined {
    return this.#refreshToken;
  }

  /** `tenantId`: a customer's tenant, reached through GDAP; default the partner's own. */
  async getAccessToken(audience: PartnerCenterAudience, mode: GrantMode, tenantId: string = this.#credentials.tenantId): Promise<string> {
    const key = `${audience}|${mode}|${tenantId}`;
    const cached = this.#cache.get(key);
    if (cached && this.#now() < cached.refreshAt) return cached.accessToken;

    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = this.#exchange(audience, mode, tenantId).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return (await pending).accessToken;
  }

  /** Forget a cached token, e.g. after the API answered 401 to it. */
  invalidate(audience: PartnerCenterAudience, mode: GrantMode, tenantId: string = this.#credentials.tenantId): void {
    this.#cache.delete(`${audience}|${mode}|${tenantId}`);
  }

  /** A `headers` provider for {@link HttpClient}. */
  authorizationHeaders(audience: PartnerCenterAudience, mode: GrantMode, tenantId?: string): () => Promise<Record<string, string>> {
    return async () => ({ authorization: `Bearer ${await this.getAccessToken(audience, mode, tenantId)}` });
  }

  async #exchange(audience: PartnerCenterAudience, mode: GrantMode, tenantId: string): Promise<CachedToken> {
    const target = partnerCenterDeclaration.auth.audiences[audience];
    const form: Record<string, string> = {
      client_id: this.#credentials.clientId,
      client_secret: this.#credentials.clientSecret,
    };
    if (target.endpoint === 'v1') form.resource = target.resource;
    else form.scope = target.scope;

    const call = mode === 'app+user' ? 'oauth.refresh_token' : 'oauth.client_credentials';
    const path = partnerCenterDeclaration.auth.tokenPaths[target.endpoint].replace(
      '{tenantId}',
      encodeURIComponent(tenantId),
    );
    if (mode === 'app+user') {
      const refreshToken = this.#refreshToken;
      if (!refreshToken) {
        throw new VendorAuthError({
          vendor: partnerCenterDeclaration.vendor,
          call,
          method: 'POST',
          url: `${this.#authorityUrl}${path}`,
          attempts: 0,
          message: `${partnerCenterDeclaration.vendor} ${call} failed: app + user access needs a refresh token and none is configured`,
        });
      }
      form.grant_type = 'refresh_token';
      form.refresh_token = refreshToken;
    } else {
      form.grant_type = 'client_credentials';
    }

    const requestedAt = this.#now();
    this.#exchanges++;
    let body: TokenResponse | undefined;
    try {
      ({ body } = await this.#http.request<TokenResponse | undefined>({ call, method: 'POST', path, form }));
    } catch (error) {
      if (isVendorCallError(error) && error.status === 400 && DEAD_GRANT.test(error.bodyExcerpt ?? '')) {
        throw new VendorAuthError(error.toInit());
      }
      throw error;
    }

    const accessToken = body?.access_token;
    const lifetimeSeconds = Number(body?.expires_in);
    if (typeof accessToken !== 'string' || accessToken === '' || !Number.isFinite(lifetimeSeconds) || lifetimeSeconds <= 0) {
      throw new VendorAuthError({
        vendor: partnerCenterDeclaration.vendor,
        call,
        method: 'POST',
        url: `${this.#authorityUrl}${path}`,
        attempts: 1,
        message: `${partnerCenterDeclaration.vendor} ${call} failed: token response has no usable access_token/expires_in`,
      });
    }
    const lifetimeMs = lifetimeSeconds * 1000;
    // A short-lived token (a sandbox's 60 s) would otherwise be "due" the moment it arrives.
    const lead = Math.min(this.#refreshBeforeExpiryMs, lifetimeMs / 2);
    const token: CachedToken = {
      accessToken,
      expiresAt: requestedAt + lifetimeMs,
      refreshAt: requestedAt + lifetimeMs - lead,
    };
    this.#cache.set(`${audience}|${mode}|${tenantId}`, token);

    const rotated = body?.refresh_token;
    if (mode === 'app+user' && typeof rotated === 'string' && rotated !== '' && rotated !== this.#refreshToken) {
      this.#refreshToken = rotated;
      await this.#onRefreshTokenRotated?.(rotated);
    }
    return token;
  }
}
