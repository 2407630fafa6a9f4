import { sql, type Kysely, type Transaction } from 'kysely';
import type { MappingRule } from '../mappings/engine/types.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Database } from './types.ts';

// Versions of a connection's field mappings. The highest version is in force; with none
// stored the connector's built-in default (version 0) is.

export interface MappingVersion {
  version: number;
  rules: MappingRule[];
  reason: string | null;
  copiedFrom: number | null;
  createdBy: string | null;
  createdAt: Date | null;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Every stored version, newest first. */
export async function mappingVersions(db: Db, connectionId: string, object: string): Promise<MappingVersion[]> {
  const rows = await db
    .selectFrom('field_mappings')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where('object', '=', object)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({ version: r.version, rules: r.rules as unknown as MappingRule[], reason: r.reason, copiedFrom: r.copied_from, createdBy: r.created_by, createdAt: r.created_at }));
}

/** The version in force: the newest stored one, else the built-in default as version 0. */
export async function mappingInForce(db: Db, connectionId: string, object: string, defaultRules: readonly MappingRule[]): Promise<MappingVersion> {
  const [newest] = await mappingVersions(db, connectionId, object);
  return newest ?? builtIn(defaultRules);
}

export function builtIn(defaultRules: readonly MappingRule[]): MappingVersion {
  return { version: 0, rules: [...defaultRules], reason: null, copiedFrom: null, createdBy: null, createdAt: null };
}

/**
 * Stores the next version, audited with its reason. Versions of one mapping are
 * numbered under a transaction lock, so two admins saving at once get two versions.
 */
export async function saveMappingVersion(
  trx: Transaction<Database>,
  entry: { connectionId: string; object: string; rules: readonly MappingRule[]; reason: string; copiedFrom?: number },
  actor: ActorContext,
): Promise<MappingVersion> {
  await sql`select pg_advisory_xact_lock(hashtext(${`field-mapping:${entry.connectionId}:${entry.object}`}))`.execute(trx);
  const [before] = await mappingVersions(trx, entry.connectionId, entry.object);
  const version = (before?.version ?? 0) + 1;
  const row = await trx
    .insertInto('field_mappings')
    .values({
      connection_id: entry.connectionId,
      object: entry.object,
      version,
      rules: JSON.stringify(entry.rules),
      reason: entry.reason.trim(),
      copied_from: entry.copiedFrom ?? null,
      created_by: actor.actor,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeAudit(trx, {
    ...actor,
    action: entry.copiedFrom !== undefined ? 'mapping.rollback' : 'mapping.version',
    entity: 'field_mapping',
    entityId: entry.connectionId,
    before: before ? { object: entry.object, version: before.version, rules: before.rules } : { object: entry.object, version: 0 },
    after: { object: entry.object, version, rules: entry.rules, ...(entry.copiedFrom !== undefined ? { copiedFrom: entry.copiedFrom } : {}) },
    justification: entry.reason,
  });
  return { version, rules: row.rules as unknown as MappingRule[], reason: row.reason, copiedFrom: row.copied_from, createdBy: row.created_by, createdAt: row.created_at };
}
