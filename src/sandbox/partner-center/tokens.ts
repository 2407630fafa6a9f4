/**
 * Access and refresh tokens issued by the sandbox authority. Access tokens are
 * JWT-shaped (HS256, signed with a per-process key) so clients that read `exp`
 * work; the APIs accept only tokens this process signed, for their own audience,
 * not yet expired. Refresh tokens follow the Secure Application Model: each
 * exchange returns a new one, and earlier ones stay valid until they expire.
 *
 * @example
 *   const tokens = new TokenService({ tenantId, clock: Date.now, accessTokenSeconds: 3600 });
 *   const { token } = tokens.issueAccess(AUDIENCES.partnerCenter, clientId, true);
 *   tokens.verifyAccess(token, AUDIENCES.partnerCenter).ok; // true
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const AUDIENCES = {
  partnerCenter: 'https://api.partnercenter.microsoft.com',
  graph: 'https://graph.microsoft.com',
} as const;

export type Audience = (typeof AUDIENCES)[keyof typeof AUDIENCES];

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Refresh tokens live 90 days (Secure Application Model). */
const REFRESH_TOKEN_SECONDS = 90 * 24 * 3600;

/** Maps a v1 `resource` or a v2 scope's resource part to an audience. */
export function audienceOf(resource: string): Audience | undefined {
  const r = resource.trim().replace(/\/+$/, '').toLowerCase();
  if (r === AUDIENCES.partnerCenter) return AUDIENCES.partnerCenter;
  if (r === AUDIENCES.graph || r === GRAPH_APP_ID) return AUDIENCES.graph;
  return undefined;
}

export interface TokenServiceOptions {
  tenantId: string;
  clock: () => number;
  accessTokenSeconds: number;
}

export type AccessCheck = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

export class TokenService {
  readonly #key = randomBytes(32);
  readonly #refresh = new Map<string, number>();
  readonly #options: TokenServiceOptions;

  constructor(options: TokenServiceOptions) {
    this.#options = options;
  }

  get accessTokenSeconds(): number {
    return this.#options.accessTokenSeconds;
  }

  set accessTokenSeconds(seconds: number) {
    this.#options.accessTokenSeconds = seconds;
  }

  /** `tenantId`: the tenant the token is for (a customer's, reached through GDAP); default the partner's. */
  issueAccess(audience: Audience, clientId: string, delegated: boolean, tenantId: string = this.#options.tenantId): { token: string; issuedAt: number; expiresAt: number } {
    const issuedAt = Math.floor(this.#options.clock() / 1000);
    const expiresAt = issuedAt + this.#options.accessTokenSeconds;
    const claims: Record<string, unknown> = {
      aud: audience,
      iss: `https://sts.windows.net/${tenantId}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: expiresAt,
      appid: clientId,
      tid: tenantId,
      ver: '1.0',
      jti: randomBytes(8).toString('hex'),
    };
    if (delegated) claims.scp = audience === AUDIENCES.graph ? 'PartnerBilling.Read.All' : 'user_impersonation';
    else claims.roles = audience === AUDIENCES.graph ? ['PartnerBilling.Read.All'] : [];
    const body = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return { token: `${body}.${this.#sign(body)}`, issuedAt, expiresAt };
  }

  verifyAccess(token: string, audience: Audience): AccessCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'The token is malformed.' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.#sign(`${header}.${payload}`));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'The token signature is invalid.' };
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'The token is malformed.' };
    }
    if (claims.aud !== audience) return { ok: false, reason: `The token's audience is not ${audience}.` };
    const now = Math.floor(this.#options.clock() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= now) return { ok: false, reason: 'The token has expired.' };
    return { ok: true, claims };
  }

  /** Registers a refresh token the authority accepts (the credentials fixture's). */
  registerRefresh(token: string): void {
    this.#refresh.set(token, this.#options.clock() + REFRESH_TOKEN_SECONDS * 1000);
  }

  issueRefresh(): string {
    const token = `0.A${randomBytes(48).toString('base64url')}`;
    this.registerRefresh(token);
    return token;
  }

  /** 'valid', 'expired' or 'unknown'. */
  checkRefresh(token: string): 'valid' | 'expired' | 'unknown' {
    const expiresAt = this.#refresh.get(token);
    if (expiresAt === undefined) return 'unknown';
    return expiresAt > this.#options.clock() ? 'valid' : 'expired';
  }

  /** Forgets every refresh token, as when the partner user's sessions are revoked. */
  revokeRefreshTokens(): void {
    this.#refresh.clear();
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
