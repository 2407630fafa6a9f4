import type { Kysely } from 'kysely';
import { mappingInForce } from '../db/field-mappings.ts';
import type { Database } from '../db/types.ts';
import { versionedMapping, type VersionedMapping } from '../mappings/checked.ts';
import type { MappingObject } from '../mappings/objects.ts';

/**
 * The connection's mapping of an object in force, checked, read once at the start of a
 * sync. A stored version the schemas now refuse stops the sync with the rules named
 * (MappingRefused): mapping with another version than the one recorded would be worse
 * than not syncing.
 */
export async function checkedMappingInForce(db: Kysely<Database>, connectionId: string, object: MappingObject): Promise<VersionedMapping> {
  const inForce = await mappingInForce(db, connectionId, object.object, object.defaultRules);
  return versionedMapping(object, inForce.version, inForce.rules);
}
