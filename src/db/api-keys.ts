import type { Db } from './database.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import { generateApiKey, type Role } from '../security/api-keys.ts';

export interface NewApiKey {
  name: string;
  roles: Role[];
  /** Required for portal keys, forbidden for staff keys. */
  customerId: string | null;
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
