import type { Pool } from 'pg';
import type { Db } from './database.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import { generateApiKey, type Role } from '../security/api-keys.ts';

export interface NewApiKey {
  name: string;
  roles: Role[];
  /** Required for portal keys, forbidden for staff keys. */
  customerId: string | null;
}

export interface StoredApiKey {
  id: string;
  name: string;
  hash: string;
  roles: string[];
  customer_id: string | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

/**
 * The key with this prefix, as every authenticated request reads it. A named statement,
 * parsed and planned once per connection rather than once per request.
 */
export async function findApiKeyByPrefix(pool: Pool, prefix: string): Promise<StoredApiKey | undefined> {
  const { rows } = await pool.query<StoredApiKey>({
    name: 'api-key-by-prefix',
    text: 'select id, name, hash, roles, customer_id, revoked_at, last_used_at from api_keys where prefix = $1',
    values: [prefix],
  });
  return rows[0];
}

/** Create a key: the plaintext is returned once and only its hash is stored (see src/security/api-keys.ts). */
export async function createApiKey(db: Db, input: NewApiKey, actor: ActorContext): Promise<{ id: string; key: string }> {
  if (input.roles.includes('portal') !== (input.customerId !== null)) {
    throw new Error('a portal key needs --customer, and only a portal key may have one');
  }
  if (input.roles.includes('portal') && input.roles.length > 1) {
    throw new Error('a portal key carries the portal role only');
  }
  const { key, prefix, hash } = generateApiKey();
  const id = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('api_keys')
      .values({ name: input.name, prefix, hash, roles: input.roles, customer_id: input.customerId })
      .returning(['id'])
      .executeTakeFirstOrThrow();
    await writeAudit(trx, {
      ...actor,
      action: 'api_key.create',
      entity: 'api_key',
      entityId: row.id,
      after: { name: input.name, roles: input.roles, customerId: input.customerId, prefix },
    });
    return row.id;
  });
  return { id, key };
}

export async function revokeApiKey(db: Db, id: string, actor: ActorContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', id).where('revoked_at', 'is', null).returning(['id', 'name']).executeTakeFirst();
    if (!row) return false;
    await writeAudit(trx, { ...actor, action: 'api_key.revoke', entity: 'api_key', entityId: id, after: { name: row.name, revoked: true } });
    return true;
  });
}

/**
 * Give a key other roles. It takes effect on the key's next request in every process
 * (each request reads the key's row). A portal key stays a portal key of its one
 * customer and a staff key stays staff: changing that is a new key.
 */
export async function setApiKeyRoles(db: Db, id: string, roles: Role[], actor: ActorContext): Promise<boolean> {
  if (roles.length === 0) throw new Error('a key needs at least one role');
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('api_keys').select(['name', 'roles', 'customer_id']).where('id', '=', id).where('revoked_at', 'is', null).forUpdate().executeTakeFirst();
    if (!before) return false;
    const portal = before.customer_id !== null;
    if (portal && (roles.length !== 1 || roles[0] !== 'portal')) throw new Error('a portal key carries the portal role only: create a staff key instead');
    if (!portal && roles.includes('portal')) throw new Error('a staff key cannot become a portal key: create one with --customer');
    await trx.updateTable('api_keys').set({ roles }).where('id', '=', id).execute();
    await writeAudit(trx, { ...actor, action: 'api_key.roles', entity: 'api_key', entityId: id, before: { roles: before.roles }, after: { name: before.name, roles } });
    return true;
  });
}
