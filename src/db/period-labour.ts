import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { periodBounds } from '../engine/dates.ts';
import { Decimal } from '../engine/decimal.ts';
import type { LabourEntry } from '../engine/labour.ts';
import type { LateLabourChange } from '../engine/labour-invoice.ts';
import type { BillingPeriod } from '../engine/types.ts';
import type { Database } from './types.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** One version of one PSA time entry, as the invoice's labour report names it. */
export interface LabourVersion {
  system: string;
  entryId: string;
  version: number;
}

export interface PeriodLabour {
  /** entryId: the labour line's id (one version of one PSA entry). */
  entries: LabourEntry[];
  /** Which PSA entry and version each labour line id is. */
  versions: Map<string, LabourVersion>;
  /**
   * Digest of the current versions: an edited or deleted entry changes it (its labour
   * line id changes or goes), so the close issues a new revision.
   */
  digest: string;
}

interface LabourRow {
  id: string;
  system: string;
  entry_id: string;
  version: number;
  cost_node_id: string | null;
  billable: boolean;
  hours_worked: string;
  hours_billable: string;
  rate: string | null;
}

const COLUMNS = ['id', 'system', 'entry_id', 'version', 'cost_node_id', 'billable', 'hours_worked', 'hours_billable', 'rate'] as const;

function labourEntry(r: LabourRow): LabourEntry {
  return {
    entryId: r.id,
    costNodeId: r.cost_node_id,
    billable: r.billable,
    hoursWorked: new Decimal(r.hours_worked),
    hoursBillable: new Decimal(r.hours_billable),
    rate: r.rate === null ? null : new Decimal(r.rate),
  };
}

const versionOf = (r: LabourRow): LabourVersion => ({ system: r.system, entryId: r.entry_id, version: r.version });

/**
 * A customer's labour lines of the period as its close bills them, in id order: the
 * current versions stored while the period was open, and, once it is closed, the
 * versions it froze (those a late change replaced). Late versions are never among
 * them: they are billed by a later close (loadLateLabour), so a closed period's invoice
 * stays as it was.
 */
export async function loadPeriodLabour(db: Db, customerId: string, period: BillingPeriod): Promise<PeriodLabour> {
  const { start, end } = periodBounds(period);
  const rows = await db
    .selectFrom('labour_lines as l')
    .select(COLUMNS.map((c) => `l.${c}` as const))
    .where('l.customer_id', '=', customerId)
    .where('l.late_period', 'is', null)
    .where('l.work_date', '>=', start)
    .where('l.work_date', '<=', end)
    .where((eb) =>
      eb.or([
        eb('l.status', '=', 'current'),
        eb.and([
          eb('l.status', '=', 'superseded'),
          eb.exists(eb.selectFrom('labour_lines as n').select('n.id').whereRef('n.supersedes_id', '=', 'l.id').where('n.late_period', '=', period)),
        ]),
      ]),
    )
    .orderBy('l.id')
    .execute();
  return {
    entries: rows.map(labourEntry),
    versions: new Map(rows.map((r) => [r.id, versionOf(r)])),
    digest: createHash('sha256').update(rows.map((r) => r.id).join('\n')).digest('hex'),
  };
}

export interface LateLabour {
  changes: LateLabourChange[];
  /** Late labour line ids a close that bills `changes` marks picked up. */
  pickUp: string[];
  /** The same ids per closed period, so a close that holds a period's change leaves them waiting. */
  pickUpByPeriod: Map<string, string[]>;
  versions: Map<string, LabourVersion>;
  /** Digest of the changes (current and billed version of each), for the close's fingerprint. */
  digest: string;
}

interface VersionRow extends LabourRow {
  connection_id: string;
  status: string;
  work_date: string;
  late_period: string | null;
  picked_up_by_run: string | null;
  picked_period: string | null;
}

/**
 * The late labour a close of `period` bills as adjustments: entries of the customer with a
 * late version for an earlier, closed period that no close has billed yet, or that an
 * earlier run of this same period billed (a re-run bills it again). For each, the version
 * to bill now (the entry's latest) and the one the closed invoices billed last: the latest
 * late version a run of another period picked up, else the version the closed period froze.
 */
export async function loadLateLabour(db: Db, customerId: string, period: BillingPeriod): Promise<LateLabour> {
  const rows = await sql<VersionRow>`
    with heads as (
      select distinct connection_id, entry_id from labour_lines
      where customer_id = ${customerId}::uuid and late_period is not null and late_period < ${period}
        and status in ('current', 'deleted')
        and (picked_up_by_run is null or picked_up_by_run in (select id from billing_runs where period = ${period}))
    )
    select l.id, l.system, l.entry_id, l.version, l.cost_node_id, l.billable, l.hours_worked::text as hours_worked,
      l.hours_billable::text as hours_billable, l.rate::text as rate, l.connection_id, l.status, l.work_date::text as work_date,
      l.late_period, l.picked_up_by_run, r.period as picked_period
    from labour_lines l
    join heads h on h.connection_id = l.connection_id and h.entry_id = l.entry_id
    left join billing_runs r on r.id = l.picked_up_by_run
    order by l.connection_id, l.entry_id, l.version`.execute(db);
  const byEntry = new Map<string, VersionRow[]>();
  for (const r of rows.rows) byEntry.set(`${r.connection_id}|${r.entry_id}`, [...(byEntry.get(`${r.connection_id}|${r.entry_id}`) ?? []), r]);
  const changes: LateLabourChange[] = [];
  const pickUp: string[] = [];
  const pickUpByPeriod = new Map<string, string[]>();
  const versions = new Map<string, LabourVersion>();
  const digest = createHash('sha256');
  for (const chain of byEntry.values()) {
    const current = chain[chain.length - 1]!;
    if (current.late_period === null) continue;
    const billed = billedVersion(chain.slice(0, -1), current.late_period, period);
    changes.push({ period: current.late_period, psaEntryId: current.entry_id, current: labourEntry(current), billed: billed ? labourEntry(billed) : null });
    for (const r of chain) {
      if (r.late_period === null || r.picked_up_by_run !== null) continue;
      pickUp.push(r.id);
      pickUpByPeriod.set(current.late_period, [...(pickUpByPeriod.get(current.late_period) ?? []), r.id]);
    }
    for (const r of billed ? [billed, current] : [current]) versions.set(r.id, versionOf(r));
    digest.update(`${current.id}<${billed?.id ?? ''}\n`);
  }
  changes.sort((a, b) => (a.period !== b.period ? (a.period < b.period ? -1 : 1) : a.current.entryId < b.current.entryId ? -1 : 1));
  return { changes, pickUp, pickUpByPeriod, versions, digest: digest.digest('hex') };
}

/**
 * Of an entry's earlier versions, the one closed invoices billed last: the latest late
 * version a run of another period picked up, else the last version stored before the
 * close of `latePeriod` when that period froze it (not a deletion). null: nothing billed.
 */
function billedVersion(earlier: readonly VersionRow[], latePeriod: string, closing: BillingPeriod): VersionRow | null {
  const picked = earlier.filter((r) => r.late_period !== null && r.picked_period !== null && r.picked_period !== closing);
  if (picked.length > 0) return picked[picked.length - 1]!;
  const frozen = earlier.filter((r) => r.late_period === null).pop();
  if (!frozen || frozen.status === 'deleted' || frozen.work_date.slice(0, 7) !== latePeriod) return null;
  return frozen;
}
