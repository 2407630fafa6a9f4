import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.ts';

type Entity = 'customer' | 'cost_node' | 'subscription' | 'deal';

/** The hub entity a vendor id stands for, through the identity map. */
export async function entityLinkedTo(db: Kysely<Database> | Transaction<Database>, entity: Entity, system: string, externalId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('external_links')
    .select('entity_id')
    .where('entity', '=', entity)
    .where('system', '=', system)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row?.entity_id;
}

/** A hub entity's id in one vendor system, if linked. */
export async function externalIdOf(db: Kysely<Database> | Transaction<Database>, entity: Entity, entityId: string, system: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('external_links')
    .select('external_id')
    .where('entity', '=', entity)
    .where('entity_id', '=', entityId)
    .where('system', '=', system)
    .executeTakeFirst();
  return row?.external_id;
}
