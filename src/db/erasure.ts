import { createHash, randomBytes } from 'node:crypto';
import { sql, type Selectable, type Transaction } from 'kysely';
import { ERASURE_ACTION, auditHash, writeAudit, type ActorContext } from './audit.ts';
import type { Database, ErasuresTable, JsonValue } from './types.ts';

// GDPR erasure of one customer's personal data, with financial retention.
//
// Personal data here means the people behind a client: the billing contact's e-mail
// (current and every earlier one the audit trail remembers), the addresses invoices were
// e-mailed to, and user principal names or e-mail addresses in Azure resource tags. Each is
// replaced everywhere it is stored by a pseudonym (`erased-<16 hex>`) derived with a random
// salt that is never stored: the same value gets the same pseudonym within one erasure
// (tag-based groupings stay intact), and nobody can work back to the value or confirm a
// guess. Invoices, their lines and lineage, usage and licence amounts, and journals are not
// touched: they are kept for the 7 years the books must be (invoices carry no personal
// data; a document rendered later shows no billing e-mail).
//
// The audit log: rows whose payloads held a value have it replaced and are marked
// `redacted_by`; each keeps its original hash, so the chain's links still hold, and the
// erasure's own audit row records the hash of each redacted row's new content, so the
// redacted content is as tamper-evident as any other (verifyAuditChain).

/** Columns outside the customer's own rows that may carry a personal value verbatim (raw bodies, stored responses, payloads). */
const TEXT_COLUMNS: ReadonlyArray<{ table: string; column: string; json: boolean }> = [
  { table: 'webhook_inbox', column: 'body', json: false },
  { table: 'idempotency_keys', column: 'response_body', json: true },
  { table: 'notification_deliveries', column: 'payload', json: true },
  { table: 'alerts', column: 'detail', json: true },
  { table: 'quote_lines', column: 'source', json: true },
];

export interface ErasureResult {
  id: string;
  customerId: string;
  reason: string;
  changed: Record<string, number>;
  createdAt: Date;
}

export class CustomerNotFound extends Error {}

/** Every string in a JSON value with each personal value replaced by its pseudonym. */
function scrub(value: JsonValue | null, replace: (s: string) => string): JsonValue | null {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, replace) as JsonValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v as JsonValue, replace)])) as JsonValue;
  return value;
}

const EMAIL_LIKE = /[^\s@"]+@[^\s@"]+\.[^\s@"]+/;

/** The personal values of a customer the hub stores, longest first (so a value inside another is replaced after it). */
async function personalValues(trx: Transaction<Database>, customerId: string, billingEmail: string | null): Promise<string[]> {
  const values = new Set<string>();
  if (billingEmail) values.add(billingEmail);
  const history = await trx.selectFrom('audit_log').select(['before', 'after']).where('entity', '=', 'customer').where('entity_id', '=', customerId).execute();
  for (const row of history) {
    for (const payload of [row.before, row.after] as (Record<string, unknown> | null)[]) {
      const email = payload?.billingEmail;
      if (typeof email === 'string' && email !== '') values.add(email);
    }
  }
  for (const r of await trx.selectFrom('invoice_deliveries').select('recipient').distinct().where('customer_id', '=', customerId).execute()) values.add(r.recipient);
  const { rows } = await sql<{ value: string }>`
    select distinct e.value from usage_lines u, jsonb_each_text(u.tags) e
    where u.customer_id = ${customerId}::uuid and e.value ~ ${EMAIL_LIKE.source}`.execute(trx);
  for (const r of rows) values.add(r.value);
  return [...values].sort((a, b) => b.length - a.length);
}

export const ERASURE_TASK = 'gdpr:erase';

/**
 * Ask for one customer's personal data to be erased: an `erasures` row, pending, and the
 * job that does it (one job key per data subject), in the caller's transaction. A second
 * request while one is pending gets that one back instead of a second erasure.
 */
export async function requestErasure(trx: Transaction<Database>, customerId: string, reason: string, actor: ActorContext): Promise<{ erasure: ErasureRow; created: boolean }> {
  const customer = await trx.selectFrom('customers').select('id').where('id', '=', customerId).forUpdate().executeTakeFirst();
  if (!customer) throw new CustomerNotFound(`customer ${customerId} does not exist`);
  const pending = await trx.selectFrom('erasures').selectAll().where('customer_id', '=', customerId).where('status', '=', 'pending').executeTakeFirst();
  if (pending) return { erasure: pending, created: false };
  const erasure = await trx.insertInto('erasures').values({ customer_id: customerId, reason, requested_by: actor.actor, changed: '{}' }).returningAll().executeTakeFirstOrThrow();
  await sql`select graphile_worker.add_job(identifier => ${ERASURE_TASK}, payload => ${JSON.stringify({ erasureId: erasure.id })}::json, job_key => ${`gdpr:erase:${customerId}`}, job_key_mode => 'preserve_run_at')`.execute(trx);
  return { erasure, created: true };
}

export type ErasureRow = Selectable<ErasuresTable>;

/**
 * The job's work: erase the customer's personal data for a pending erasure, in the caller's
 * transaction, and mark it done (an audit row holding no personal value records it). Done
 * already: nothing happens, so a re-run changes nothing. A failure part-way rolls back with
 * the transaction and the retry starts over.
 */
export async function runErasure(trx: Transaction<Database>, erasureId: string): Promise<ErasureResult | 'already_done' | undefined> {
  const erasure = await trx.selectFrom('erasures').selectAll().where('id', '=', erasureId).forUpdate().executeTakeFirst();
  if (!erasure) return undefined;
  if (erasure.status === 'done') return 'already_done';
  return eraseCustomer(trx, erasure.customer_id, erasure.reason, { actor: erasure.requested_by }, erasure.id);
}

async function eraseCustomer(trx: Transaction<Database>, customerId: string, reason: string, actor: ActorContext, id: string): Promise<ErasureResult> {
  const customer = await trx.selectFrom('customers').select(['id', 'billing_email']).where('id', '=', customerId).forUpdate().executeTakeFirst();
  if (!customer) throw new CustomerNotFound(`customer ${customerId} does not exist`);
  const salt = randomBytes(32);
  const values = await personalValues(trx, customerId, customer.billing_email);
  const pseudonyms = values.map((v) => `erased-${createHash('sha256').update(salt).update(v).digest('hex').slice(0, 16)}`);
  const replace = (s: string) => values.reduce((out, v, i) => (out.includes(v) ? out.split(v).join(pseudonyms[i]!) : out), s);
  const changed: Record<string, number> = { personalValues: values.length };

  changed.customers = Number((await trx.updateTable('customers').set({ billing_email: null }).where('id', '=', customerId).executeTakeFirst()).numUpdatedRows);
  if (values.length > 0) {
    const tagged = await sql`
      update usage_lines u set tags = (
        select coalesce(jsonb_object_agg(e.key, coalesce(m.pseudonym, e.value)), '{}'::jsonb)
        from jsonb_each_text(u.tags) e
        left join unnest(${values}::text[], ${pseudonyms}::text[]) as m(value, pseudonym) on m.value = e.value
      )
      where u.customer_id = ${customerId}::uuid and exists (select 1 from jsonb_each_text(u.tags) e where e.value = any(${values}::text[]))`.execute(trx);
    changed.usageLines = Number(tagged.numAffectedRows ?? 0);
    const deliveries = await sql`
      update invoice_deliveries d set recipient = m.pseudonym
      from unnest(${values}::text[], ${pseudonyms}::text[]) as m(value, pseudonym)
      where d.customer_id = ${customerId}::uuid and d.recipient = m.value`.execute(trx);
    changed.invoiceDeliveries = Number(deliveries.numAffectedRows ?? 0);
    for (const { table, column, json } of TEXT_COLUMNS) {
      let count = 0;
      for (const [i, value] of values.entries()) {
        const target = sql.id(table, column);
        const text = json ? sql`${target}::text` : target;
        const replaced = sql`replace(${text}, ${value}, ${pseudonyms[i]!})`;
        const result = await sql`update ${sql.table(table)} set ${sql.id(column)} = ${json ? sql`${replaced}::jsonb` : replaced}
          where strpos(${text}, ${value}) > 0`.execute(trx);
        count += Number(result.numAffectedRows ?? 0);
      }
      changed[table] = count;
    }
  }

  const redacted: { seq: number; hash: string }[] = [];
  if (values.length > 0) {
    const rows = await trx
      .selectFrom('audit_log')
      .selectAll()
      .where((eb) => eb.or(values.flatMap((v) => [eb(sql`strpos(coalesce(before::text, ''), ${v})`, '>', 0), eb(sql`strpos(coalesce(after::text, ''), ${v})`, '>', 0)])))
      .orderBy('seq')
      .execute();
    for (const row of rows) {
      const before = scrub(row.before, replace);
      const after = scrub(row.after, replace);
      await trx
        .updateTable('audit_log')
        .set({ before: before === null ? null : JSON.stringify(before), after: after === null ? null : JSON.stringify(after), redacted_by: id })
        .where('seq', '=', row.seq)
        .execute();
      const hash = auditHash({
        occurredAt: row.occurred_at.toISOString(),
        actor: row.actor,
        action: row.action,
        entity: row.entity,
        entityId: row.entity_id,
        before,
        after,
        justification: row.justification,
        requestId: row.request_id,
        prevHash: row.prev_hash,
      });
      redacted.push({ seq: Number(row.seq), hash });
    }
  }
  changed.auditRows = redacted.length;

  const stored = await trx
    .updateTable('erasures')
    .set({ changed: JSON.stringify(changed), status: 'done', completed_at: new Date(), attempts: sql`attempts + 1` })
    .where('id', '=', id)
    .returning(['created_at'])
    .executeTakeFirstOrThrow();
  await writeAudit(trx, { ...actor, action: ERASURE_ACTION, entity: 'customer', entityId: customerId, after: { erasureId: id, changed, redacted }, justification: reason });
  return { id, customerId, reason, changed, createdAt: stored.created_at };
}
