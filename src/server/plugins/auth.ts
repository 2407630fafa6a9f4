import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Pool } from 'pg';
import type { Db } from '../../db/database.ts';
import { asCustomer } from '../../db/customer-scope.ts';
import { findApiKeyByPrefix, type StoredApiKey } from '../../db/api-keys.ts';
import { closeSession, findSession, touchSession } from '../../db/console-sessions.ts';
import { hashSecret, needsRehash, parseApiKey, verifySecret, type Role } from '../../security/api-keys.ts';
import { forbidden, unauthorized } from '../problem.ts';

export interface Principal {
  keyId: string;
  name: string;
  roles: Role[];
  /** Set for portal keys: the one customer the key may see. */
  customerId: string | null;
  /** Set when the request came with a console session cookie instead of a Bearer key. */
  session?: { id: string; csrfToken: string };
}

/** The console's session cookie (src/server/routes/sessions.ts sets it). */
export const SESSION_COOKIE = 'hub_session';
/** Header a cookie-authenticated POST, PUT, PATCH or DELETE must carry: the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Every route declares who may call it: `public` (health, docs, signed webhooks) or
 * the roles allowed. `customerParam` names the path (or query) parameter holding a
 * customer id, which a portal key must match. `customerScope: 'record'` admits a portal
 * key to a route whose records carry their customer (an invoice by id, a filtered list):
 * the handler confines it with `portalScope(request)`. `customerScope: 'self'` admits a
 * portal key to a route that reads or writes only the calling key's own rows (its console
 * session), never a customer's. Routes with none of these refuse portal keys.
 */
export type RouteAuth = 'public' | { roles: Role[]; customerParam?: string; customerScope?: 'record' | 'self' };

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** How stale `last_used_at` may get: written at most once a minute per key, not on every request. */
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Every request reads its key's row: a revoked or re-roled key stops working on the next
 * request, in every process, with nothing to invalidate. The row is found by its unique
 * prefix and the secret checked against a SHA-256, so a request costs one index lookup
 * (README, "API keys": the cost measured against a per-process cache).
 */
export function registerAuth(app: FastifyInstance, db: Db, pool: Pool, idleSeconds: number): void {
  async function authenticate(header: string | undefined): Promise<Principal> {
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw unauthorized('send an API key as "Authorization: Bearer <key>"');
    const parsed = parseApiKey(match[1]!);
    if (!parsed) throw unauthorized('the API key is malformed');
    const row = await findApiKeyByPrefix(pool, parsed.prefix);
    if (!row || row.revoked_at || !(await verifySecret(parsed.secret, row.hash))) {
      throw unauthorized('the API key is unknown or revoked');
    }
    return principalOf(row, parsed.secret);
  }

  /** The principal of a key's row; with the key's secret (a Bearer request), an older hash is stored again as the current scheme. */
  function principalOf(row: StoredApiKey, secret?: string): Principal {
    // The same secret; only how it is hashed changes.
    const rehash = secret !== undefined && needsRehash(row.hash) ? { hash: hashSecret(secret) } : {};
    const stale = !row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_GRANULARITY_MS;
    if (stale || rehash.hash) {
      void db
        .updateTable('api_keys')
        .set({ last_used_at: new Date(), ...rehash })
        .where('id', '=', row.id)
        .where('hash', '=', row.hash)
        .execute()
        .catch(() => {});
    }
    return { keyId: row.id, name: row.name, roles: row.roles as Role[], customerId: row.customer_id };
  }

  app.decorateRequest('principal', null);

  // A route without an explicit decision would be an accident waiting to leak data.
  app.addHook('onRoute', (route: RouteOptions) => {
    // Swagger UI's files and the console's stylesheet and scripts.
    if (route.url.startsWith('/docs') || route.url.startsWith('/console/assets/')) {
      route.config = { ...(route.config ?? {}), auth: 'public' };
      return;
    }
    const auth = (route.config as { auth?: RouteAuth } | undefined)?.auth;
    if (!auth) throw new Error(`route ${String(route.method)} ${route.url} declares no auth`);
    if (auth !== 'public') {
      route.schema = { ...(route.schema ?? {}), security: [{ bearerAuth: [] }] } as typeof route.schema;
    }
    // A portal key's request runs confined to its customer by PostgreSQL's row-level
    // security, whatever the handler's queries say (src/db/customer-scope.ts).
    if (auth !== 'public' && auth.roles.includes('portal') && auth.customerScope !== 'self') {
      const handler = route.handler;
      route.handler = function confined(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
        const customer = portalScope(request);
        return customer ? asCustomer(pool, customer, async () => handler.call(this, request, reply)) : handler.call(this, request, reply);
      };
    }
  });

  /**
   * A console session: its key read like a Bearer key's (revoked: refused), unused for
   * longer than the idle timeout: over. A state-changing request must echo the session's
   * CSRF token, which another site's page cannot read.
   */
  async function authenticateSession(request: FastifyRequest, token: string): Promise<Principal> {
    const found = await findSession(pool, token);
    if (!found || found.key.revoked_at) throw unauthorized('the console session is unknown or its key was revoked: sign in again');
    if (Date.now() - found.lastSeenAt.getTime() > idleSeconds * 1000) {
      await closeSession(db, found.sessionId);
      throw unauthorized('the console session was idle too long: sign in again');
    }
    if (!SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== found.csrfToken) {
      throw forbidden(`a request made with the session cookie that changes something must carry the session's CSRF token in ${CSRF_HEADER}`);
    }
    await touchSession(db, found.sessionId);
    return { ...principalOf(found.key), session: { id: found.sessionId, csrfToken: found.csrfToken } };
  }

  app.addHook('onRequest', async (request: FastifyRequest) => {
    const auth = request.routeOptions.config.auth;
    if (!auth || auth === 'public') return;
    const sessionToken = request.headers.authorization ? undefined : cookieValue(request.headers.cookie, SESSION_COOKIE);
    const principal = sessionToken ? await authenticateSession(request, sessionToken) : await authenticate(request.headers.authorization);
    request.principal = principal;
    if (!principal.roles.some((role) => auth.roles.includes(role))) {
      throw forbidden(`this key's roles (${principal.roles.join(', ')}) do not include one of: ${auth.roles.join(', ')}`);
    }
    if (principal.customerId && principal.roles.includes('portal') && principal.roles.length === 1) {
      const param = auth.customerParam;
      if (!param && (auth.customerScope === 'record' || auth.customerScope === 'self')) return;
      const value = param
        ? ((request.params as Record<string, string>)[param] ?? (request.query as Record<string, string> | undefined)?.[param])
        : undefined;
      if (!param || value !== principal.customerId) throw forbidden('a portal key sees its own customer only');
    }
  });
}

/** The customer a portal key is confined to, or undefined for staff keys. */
export function portalScope(request: FastifyRequest): string | undefined {
  const p = request.principal;
  return p && p.roles.length === 1 && p.roles[0] === 'portal' && p.customerId ? p.customerId : undefined;
}

export function actorOf(request: FastifyRequest): { actor: string; requestId: string } {
  return { actor: request.principal ? `key:${request.principal.keyId}` : 'anonymous', requestId: request.id };
}
