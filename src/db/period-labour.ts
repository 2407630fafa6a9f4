import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { periodBounds } from '../engine/dates.ts';
import { Decimal } from '../engine/decimal.ts';
import type { LabourEntry } from '../engine/labour.ts';
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

/** A customer's current labour lines worked in the period, in id order. */
export async function loadPeriodLabour(db: Db, customerId: string, period: BillingPeriod): Promise<PeriodLabour> {
  const { start, end } = periodBounds(period);
  const rows = await db
    .selectFrom('labour_lines')
    .select(['id', 'system', 'entry_id', 'version', 'cost_node_id', 'billable', 'hours_worked', 'hours_billable', 'rate'])
    .where('customer_id', '=', customerId)
    .where('status', '=', 'current')
    .where('work_date', '>=', start)
    .where('work_date', '<=', end)
    .orderBy('id')
    .execute();
  return {
    entries: rows.map((r) => ({
      entryId: r.id,
      costNodeId: r.cost_node_id,
      billable: r.billable,
      hoursWorked: new Decimal(r.hours_worked),
      hoursBillable: new Decimal(r.hours_billable),
      rate: r.rate === null ? null : new Decimal(r.rate),
    })),
    versions: new Map(rows.map((r) => [r.id, { system: r.system, entryId: r.entry_id, version: r.version }])),
    digest: createHash('sha256').update(rows.map((r) => r.id).join('\n')).digest('hex'),
  };
}
