import type { Kysely, Transaction } from 'kysely';
import type { Database } from './types.ts';

/** One sign-off decision on a version of something that needs approval (a rate card version first). */
export interface Decision {
  version: number;
  role: string;
  decision: 'approve' | 'reject';
  apiKeyId: string;
  comment: string | null;
  createdAt: Date;
}

/**
 * Every decision on the versions of one entity, grouped by version, oldest first.
 * @example (await decisionsFor(db, 'rate_card', cardId)).get(2) // [{ role: 'sales_ops', decision: 'approve', ... }]
 */
export async function decisionsFor(db: Kysely<Database>, entity: string, entityId: string): Promise<Map<number, Decision[]>> {
  const rows = await db
    .selectFrom('approvals')
    .select(['version', 'role', 'decision', 'api_key_id', 'comment', 'created_at'])
    .where('entity', '=', entity)
    .where('entity_id', '=', entityId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const byVersion = new Map<number, Decision[]>();
  for (const row of rows) {
    const list = byVersion.get(row.version) ?? [];
    list.push({
      version: row.version,
      role: row.role,
      decision: row.decision as Decision['decision'],
      apiKeyId: row.api_key_id,
      comment: row.comment,
      createdAt: row.created_at,
    });
    byVersion.set(row.version, list);
  }
  return byVersion;
}

/** Record a decision inside the caller's transaction (the unique indexes refuse a second approval per role or key). */
export async function recordDecision(
  trx: Transaction<Database>,
  entry: { entity: string; entityId: string; version: number; role: string; decision: Decision['decision']; apiKeyId: string; comment: string | null },
): Promise<void> {
  await trx
    .insertInto('approvals')
    .values({
      entity: entry.entity,
      entity_id: entry.entityId,
      version: entry.version,
      role: entry.role,
      decision: entry.decision,
      api_key_id: entry.apiKeyId,
      comment: entry.comment,
    })
    .execute();
}
