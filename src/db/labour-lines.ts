import { sql, type Kysely, type Transaction } from 'kysely';
import { labourFingerprint, type LabourLine, type LabourLookups, type MappedEntry } from '../mappings/psa/labour-line.ts';
import type { Database } from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;
export type PsaSystem = 'connectwise' | 'autotask';

export interface SavedLabour {
  /** New entries and new versions of changed ones. */
  changed: number;
  unchanged: number;
  errors: number;
}

/**
 * The identity map and the project-code mapping for one PSA, loaded once per sync:
 * company → customer from external_links, (customer, psaProjectCode) → cost node.
 */
export async function loadLabourLookups(db: Db, system: PsaSystem): Promise<LabourLookups> {
  const links = await db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').where('system', '=', system).execute();
  const customers = new Map(links.map((l) => [l.external_id, l.entity_id]));
  const nodes = links.length === 0 ? [] : await db.selectFrom('cost_nodes').select(['id', 'customer_id', 'psa_project_code']).where('psa_project_code', 'is not', null).where('customer_id', 'in', [...customers.values()]).execute();
  const byCode = new Map(nodes.map((n) => [`${n.customer_id}|${n.psa_project_code}`, n.id]));
  return {
    customerOfCompany: (id) => customers.get(id),
    costNodeOf: (customerId, code) => byCode.get(`${customerId}|${code}`),
  };
}

/**
 * Stores one page of mapped entries inside the caller's transaction: an entry whose
 * content changed gets version n+1 and its old version is marked superseded (never
 * edited); an unchanged re-read adds nothing; entries that failed land in
 * psa_sync_errors naming each field, and a clean entry clears its old error.
 */
export async function saveMappedEntries(trx: Transaction<Database>, connectionId: string, system: PsaSystem, mapped: readonly MappedEntry[]): Promise<SavedLabour> {
  const lines = mapped.filter((m): m is Extract<MappedEntry, { ok: true }> => m.ok).map((m) => m.line);
  const failed = mapped.filter((m): m is Extract<MappedEntry, { ok: false }> => !m.ok);
  const result: SavedLabour = { changed: 0, unchanged: 0, errors: failed.length };

  const ids = lines.map((l) => l.entryId);
  const current = ids.length === 0 ? [] : await trx.selectFrom('labour_lines').select(['id', 'entry_id', 'version', 'fingerprint']).where('connection_id', '=', connectionId).where('entry_id', 'in', ids).where('status', '=', 'current').execute();
  const last = ids.length === 0 ? [] : await trx.selectFrom('labour_lines').select(['entry_id', (eb) => eb.fn.max('version').as('version')]).where('connection_id', '=', connectionId).where('entry_id', 'in', ids).groupBy('entry_id').execute();
  const currentOf = new Map(current.map((c) => [c.entry_id, c]));
  const lastVersion = new Map(last.map((l) => [l.entry_id, Number(l.version)]));

  const inserts: LabourLine[] = [];
  const superseded: string[] = [];
  for (const line of lines) {
    const now = currentOf.get(line.entryId);
    if (now && now.fingerprint === labourFingerprint(line)) {
      result.unchanged++;
      continue;
    }
    if (now) superseded.push(now.id);
    inserts.push(line);
  }
  if (superseded.length > 0) await trx.updateTable('labour_lines').set({ status: 'superseded', superseded_at: new Date() }).where('id', 'in', superseded).execute();
  if (inserts.length > 0) {
    await trx
      .insertInto('labour_lines')
      .values(
        inserts.map((l) => ({
          connection_id: connectionId,
          system,
          entry_id: l.entryId,
          version: (lastVersion.get(l.entryId) ?? 0) + 1,
          customer_id: l.customerId,
          cost_node_id: l.costNodeId,
          project_code: l.projectCode,
          ticket_id: l.ticketId,
          member: l.member,
          work_type: l.workType,
          work_role: l.workRole,
          work_date: l.workDate,
          hours_worked: l.hoursWorked.toString(),
          hours_billable: l.hoursBillable.toString(),
          billable: l.billable,
          rate: l.rate?.toString() ?? null,
          rate_source: l.rateSource,
          vendor_updated_at: l.vendorUpdatedAt,
          fingerprint: labourFingerprint(l),
          source: JSON.stringify(l.source),
        })),
      )
      .execute();
  }
  result.changed = inserts.length;

  if (ids.length > 0) await trx.deleteFrom('psa_sync_errors').where('connection_id', '=', connectionId).where('entity', '=', 'time_entry').where('entry_id', 'in', ids).execute();
  if (failed.length > 0) {
    await trx
      .insertInto('psa_sync_errors')
      .values(failed.map((f) => ({ connection_id: connectionId, entity: 'time_entry', entry_id: f.entryId, problems: JSON.stringify(f.problems), source: JSON.stringify(f.source) })))
      .onConflict((oc) => oc.columns(['connection_id', 'entity', 'entry_id']).doUpdateSet((eb) => ({ problems: eb.ref('excluded.problems'), source: eb.ref('excluded.source') })))
      .execute();
  }
  return result;
}

/**
 * Marks deleted the current lines of entries worked on or after `from` that the PSA no
 * longer lists (`present`: every entry id it listed for that window). Returns how many.
 */
export async function markMissingDeleted(trx: Transaction<Database>, connectionId: string, from: string, present: readonly string[]): Promise<number> {
  const result = await sql<{ id: string }>`
    update labour_lines set status = 'deleted', superseded_at = now()
    where connection_id = ${connectionId}::uuid and status = 'current' and work_date >= ${from}::date
      and not (entry_id = any(${present}::text[]))
    returning id`.execute(trx);
  return result.rows.length;
}
