import { createHash } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from './database.ts';
import type { Database, JsonValue } from './types.ts';

/** Who did it and on which request: carried from the HTTP layer or the CLI into every write. */
export interface ActorContext {
  /** `key:<api key id>`, `cli:<os user>`, or `system:<job>`. */
  actor: string;
  requestId?: string | undefined;
}

export interface AuditEntry extends ActorContext {
  action: string;
  entity: string;
  entityId?: string | null;
  before?: unknown;
  after?: unknown;
  justification?: string | null | undefined;
}

export const GENESIS_HASH = '0'.repeat(64);
// Every audited write takes this transaction-scoped lock, so the chain is a line, not a tree.
const AUDIT_CHAIN_LOCK = 7_281_001;

/** JSON with sorted keys: the same value always hashes the same, whatever jsonb did to key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Plain JSON as it will come back from jsonb (Dates to ISO strings, undefined dropped). */
function toJson(value: unknown): JsonValue | null {
  if (value === undefined || value === null) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

interface HashedFields {
  occurredAt: string;
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  before: JsonValue | null;
  after: JsonValue | null;
  justification: string | null;
  requestId: string | null;
  prevHash: string;
}

export function auditHash(fields: HashedFields): string {
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}

/** Append one audit row inside the caller's transaction: the change and its record commit together. */
export async function writeAudit(trx: Transaction<Database>, entry: AuditEntry): Promise<void> {
  await sql`select pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})`.execute(trx);
  const last = await trx.selectFrom('audit_log').select('hash').orderBy('seq', 'desc').limit(1).executeTakeFirst();
  const fields: HashedFields = {
    occurredAt: new Date().toISOString(),
    actor: entry.actor,
    action: entry.action,
    entity: entry.entity,
    entityId: entry.entityId ?? null,
    before: toJson(entry.before),
    after: toJson(entry.after),
    justification: entry.justification ?? null,
    requestId: entry.requestId ?? null,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  await trx
    .insertInto('audit_log')
    .values({
      occurred_at: fields.occurredAt,
      actor: fields.actor,
      action: fields.action,
      entity: fields.entity,
      entity_id: fields.entityId,
      before: fields.before === null ? null : JSON.stringify(fields.before),
      after: fields.after === null ? null : JSON.stringify(fields.after),
      justification: fields.justification,
      request_id: fields.requestId,
      prev_hash: fields.prevHash,
      hash: auditHash(fields),
    })
    .execute();
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  /** The first row whose stored hash or link does not match what its content says. */
  firstBroken?: { seq: number; id: string; reason: string };
}

/** The action of the audit row that records an erasure and the hashes of the rows it redacted. */
export const ERASURE_ACTION = 'customer.erasure';

/** What a redacted row must hash to now: recorded, per row, by its erasure's own audit row. */
async function redactedHashes(db: Db): Promise<Map<number, string>> {
  const rows = await db.selectFrom('audit_log').select('after').where('action', '=', ERASURE_ACTION).execute();
  const hashes = new Map<number, string>();
  for (const row of rows) {
    for (const r of ((row.after as { redacted?: { seq: number; hash: string }[] } | null)?.redacted ?? [])) hashes.set(Number(r.seq), r.hash);
  }
  return hashes;
}

/**
 * Walk the chain in order, recomputing each hash; stops at the first broken link.
 * A row an erasure pseudonymised keeps its original hash (the next row links to it), and
 * its content must hash to what the erasure's audit row, later in the same chain, recorded.
 */
export async function verifyAuditChain(db: Db, batchSize = 5000): Promise<AuditVerification> {
  const redacted = await redactedHashes(db);
  let prevHash = GENESIS_HASH;
  let afterSeq = 0;
  let checked = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return { ok: true, checked };
    for (const row of rows) {
      if (row.prev_hash !== prevHash) {
        return { ok: false, checked, firstBroken: { seq: row.seq, id: row.id, reason: 'prev_hash does not match the previous row (a row was removed or reordered)' } };
      }
      const expected = auditHash({
        occurredAt: row.occurred_at.toISOString(),
        actor: row.actor,
        action: row.action,
        entity: row.entity,
        entityId: row.entity_id,
        before: row.before,
        after: row.after,
        justification: row.justification,
        requestId: row.request_id,
        prevHash: row.prev_hash,
      });
      if (row.redacted_by !== null) {
        const recorded = redacted.get(Number(row.seq));
        if (recorded === undefined) return { ok: false, checked, firstBroken: { seq: row.seq, id: row.id, reason: 'redacted, but no erasure recorded the redaction' } };
        if (expected !== recorded) return { ok: false, checked, firstBroken: { seq: row.seq, id: row.id, reason: 'content does not match the hash its erasure recorded (the row was edited)' } };
      } else if (expected !== row.hash) {
        return { ok: false, checked, firstBroken: { seq: row.seq, id: row.id, reason: 'content does not match its hash (the row was edited)' } };
      }
      prevHash = row.hash;
      afterSeq = row.seq;
      checked++;
    }
  }
}
