import { createHash } from 'node:crypto';
import { Decimal } from '../../engine/decimal.ts';

/** A PSA time entry as the hub keeps it: one canonical labour line (see migrations/0013_psa.ts). */
export interface LabourLine {
  entryId: string;
  customerId: string;
  costNodeId: string | null;
  projectCode: string | null;
  ticketId: string | null;
  member: string;
  workType: string | null;
  workRole: string | null;
  /** YYYY-MM-DD, the day the work was done (UTC, as the PSA reports it). */
  workDate: string;
  hoursWorked: Decimal;
  hoursBillable: Decimal;
  billable: boolean;
  rate: Decimal | null;
  rateSource: 'entry' | 'role' | 'agreement' | null;
  vendorUpdatedAt: Date;
  source: unknown;
}

export interface EntryProblem {
  field: string;
  reason: string;
}

export type MappedEntry = { ok: true; line: LabourLine } | { ok: false; entryId: string; problems: EntryProblem[]; source: unknown };

/** What a mapping needs from the hub: the identity map and the editable project code → cost node mapping. */
export interface LabourLookups {
  customerOfCompany(companyId: string): string | undefined;
  costNodeOf(customerId: string, projectCode: string): string | undefined;
}

/** Equal for two versions of an entry that would bill the same: a re-read that changed nothing adds no version. */
export function labourFingerprint(line: LabourLine): string {
  const fields = [
    line.customerId,
    line.costNodeId,
    line.projectCode,
    line.ticketId,
    line.member,
    line.workType,
    line.workRole,
    line.workDate,
    line.hoursWorked.toString(),
    line.hoursBillable.toString(),
    line.billable,
    line.rate?.toString() ?? null,
    line.rateSource,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * The code a cost node's psaProjectCode carries to take the time of one service ticket
 * outside any project (e.g. a long-running migration ticket): `ticket:<ticket id>`.
 * Project codes are the PSA project id alone.
 */
export function ticketCode(ticketId: string): string {
  return `ticket:${ticketId}`;
}

/**
 * A PSA number (hours, a rate) as a Decimal, or null when absent; a negative or
 * unreadable one adds a problem naming `field`.
 */
export function nonNegativeDecimal(value: unknown, field: string, problems: EntryProblem[]): Decimal | null {
  if (value === null || value === undefined || value === '') return null;
  try {
    const d = new Decimal(value as string | number);
    if (d.isNegative()) problems.push({ field, reason: `must not be negative (got ${d.toString()})` });
    return d;
  } catch {
    problems.push({ field, reason: `is not a number: ${JSON.stringify(value)}` });
    return null;
  }
}
