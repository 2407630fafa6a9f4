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
  const current = ids.length === 0 ? [] : await trx.selectFrom('labour_lines').select(['id', 'entry_id', 'version', 'fingerprint', 'work_date', 'late_period']).where('connection_id', '=', connectionId).where('entry_id', 'in', ids).where('status', '=', 'current').execute();
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
  const closed = await closedPeriods(trx, [...inserts.map((l) => l.workDate), ...current.map((c) => c.work_date)]);
  const detectedAt = new Date();
  if (inserts.length > 0) {
    await trx
      .insertInto('labour_lines')
      .values(
        inserts.map((l) => {
          const previous = currentOf.get(l.entryId);
          const late = latePeriodOf(l.workDate, previous, closed);
          return {
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
          supersedes_id: previous?.id ?? null,
          late_period: late,
          late_detected_at: late ? detectedAt : null,
          };
        }),
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

const periodOf = (date: string) => date.slice(0, 7);

/** Which of the billing periods of these work dates are closed. */
async function closedPeriods(db: Db, dates: readonly string[]): Promise<Set<string>> {
  const periods = [...new Set(dates.map(periodOf))];
  if (periods.length === 0) return new Set();
  const rows = await db.selectFrom('billing_periods').select('period').where('status', '=', 'closed').where('period', 'in', periods).execute();
  return new Set(rows.map((r) => r.period));
}

/**
 * The closed period a new version is a late change of, or null when a close of its own
 * period will still bill it. A version replacing a late one stays late for the same
 * period; one replacing a version of a closed period is late for that period (even when
 * it moves the work into an open one: the billed version must be taken back there);
 * a new entry, or one replacing a version of an open period, is late for its own period
 * when that is closed.
 */
function latePeriodOf(workDate: string, previous: { work_date: string; late_period: string | null } | undefined, closed: ReadonlySet<string>): string | null {
  if (previous?.late_period) return previous.late_period;
  if (previous && closed.has(periodOf(previous.work_date))) return periodOf(previous.work_date);
  return closed.has(periodOf(workDate)) ? periodOf(workDate) : null;
}

/**
 * Marks deleted the current lines of entries worked on or after `from` that the PSA no
 * longer lists (`present`: every entry id it listed for that window). Returns how many.
 * A line a closed period billed (or a late version) is not touched but superseded by a
 * late deletion version of its own, no hours, so a later close takes its amount back.
 */
export async function markMissingDeleted(trx: Transaction<Database>, connectionId: string, from: string, present: readonly string[]): Promise<number> {
  const gone = await sql<{ id: string; late_period: string | null }>`
    select l.id, coalesce(l.late_period, p.period) as late_period
    from labour_lines l
    left join billing_periods p on p.period = to_char(l.work_date, 'YYYY-MM') and p.status = 'closed'
    where l.connection_id = ${connectionId}::uuid and l.status = 'current' and l.work_date >= ${from}::date
      and not (l.entry_id = any(${present}::text[]))
    for update of l`.execute(trx);
  const inPlace = gone.rows.filter((g) => g.late_period === null).map((g) => g.id);
  const late = gone.rows.filter((g) => g.late_period !== null);
  if (inPlace.length > 0) await trx.updateTable('labour_lines').set({ status: 'deleted', superseded_at: new Date() }).where('id', 'in', inPlace).execute();
  if (late.length > 0) {
    const ids = late.map((g) => g.id);
    await trx.updateTable('labour_lines').set({ status: 'superseded', superseded_at: new Date() }).where('id', 'in', ids).execute();
    await sql`
      insert into labour_lines (connection_id, system, entry_id, version, status, customer_id, cost_node_id, project_code, ticket_id, member,
        work_type, work_role, work_date, hours_worked, hours_billable, billable, rate, rate_source, vendor_updated_at, fingerprint, source,
        supersedes_id, late_period, late_detected_at)
      select connection_id, system, entry_id, version + 1, 'deleted', customer_id, cost_node_id, project_code, ticket_id, member,
        work_type, work_role, work_date, 0, 0, false, null, null, now(), 'deleted', source,
        id, coalesce(late_period, to_char(work_date, 'YYYY-MM')), now()
      from labour_lines where id = any(${ids}::uuid[])`.execute(trx);
  }
  return gone.rows.length;
}
