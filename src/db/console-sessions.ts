import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Db } from './database.ts';
import type { StoredApiKey } from './api-keys.ts';

/** A console session as a cookie-authenticated request reads it, with its key's row. */
export interface SessionWithKey {
  sessionId: string;
  csrfToken: string;
  lastSeenAt: Date;
  key: StoredApiKey;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Open a session for a key: the cookie's token (returned once, stored as its SHA-256) and
 * the CSRF token state-changing requests must echo.
 *
 * @example
 *   const { token, csrfToken } = await openSession(db, principal.keyId);
 */
export async function openSession(db: Db, apiKeyId: string): Promise<{ id: string; token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const row = await db.insertInto('console_sessions').values({ token_hash: sha256(token), api_key_id: apiKeyId, csrf_token: csrfToken }).returning('id').executeTakeFirstOrThrow();
  return { id: row.id, token, csrfToken };
}

/** The session a cookie token names, with its key, or undefined. One indexed read, as a Bearer key costs. */
export async function findSession(pool: Pool, token: string): Promise<SessionWithKey | undefined> {
  const { rows } = await pool.query<StoredApiKey & { session_id: string; csrf_token: string; last_seen_at: Date }>({
    name: 'console-session-by-token',
    text: `select s.id as session_id, s.csrf_token, s.last_seen_at, k.id, k.name, k.hash, k.roles, k.customer_id, k.revoked_at, k.last_used_at
      from console_sessions s join api_keys k on k.id = s.api_key_id where s.token_hash = $1`,
    values: [sha256(token)],
  });
  const row = rows[0];
  if (!row) return undefined;
  const { session_id, csrf_token, last_seen_at, ...key } = row;
  return { sessionId: session_id, csrfToken: csrf_token, lastSeenAt: last_seen_at, key };
}

/** Mark a session used now (what the idle timeout counts from). */
export async function touchSession(db: Db, sessionId: string): Promise<void> {
  await db.updateTable('console_sessions').set({ last_seen_at: new Date() }).where('id', '=', sessionId).execute();
}

export async function closeSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id', '=', sessionId).execute();
}
