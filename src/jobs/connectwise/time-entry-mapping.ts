import type { HubContext } from '../../context.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import { timeEntryMapping, type TimeEntryMapping } from '../../mappings/connectwise/time-entry.ts';
import { mappingObject } from '../../mappings/objects.ts';

export const TIME_ENTRY = 'time_entry';
const OBJECT = mappingObject('connectwise', TIME_ENTRY)!;

/**
 * The connection's time entry mapping in force, checked. A stored version the schemas
 * now refuse stops the sync with the rules named (MappingRefused): mapping with a
 * different version than the one recorded would be worse than not syncing.
 */
export async function timeEntryMappingInForce(ctx: HubContext, connectionId: string): Promise<TimeEntryMapping> {
  const inForce = await mappingInForce(ctx.db, connectionId, OBJECT.object, OBJECT.defaultRules);
  return timeEntryMapping(inForce.version, inForce.rules);
}
