import { Decimal } from '../../engine/decimal.ts';
import type { TimeEntry } from '../../connectors/connectwise/types.ts';
import type { EntryProblem, LabourLookups, MappedEntry } from '../psa/labour-line.ts';

/** The work role rates the mapping may fall back on, by role id (or, for agreements, by agreement id). */
export type RoleRates = ReadonlyMap<string, Decimal>;

function hours(value: unknown, field: string, problems: EntryProblem[]): Decimal | null {
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

/**
 * A ConnectWise time entry as a canonical labour line, or every reason it cannot be one.
 * Customer: the entry's company through the identity map. Engagement: its project, whose
 * id is the code a cost node's psaProjectCode names. Billable when billableOption is
 * Billable; billable hours are hoursBilled (else actualHours). Rate: the entry's
 * hourlyRate, else its work role's, else the rate of its agreement's work role
 * (`agreementRates`, by agreement id: ConnectWise agreements carry a default work role,
 * not an hourly rate of their own).
 */
export function mapConnectWiseTimeEntry(entry: TimeEntry, lookups: LabourLookups, roleRates: RoleRates, agreementRates: RoleRates = new Map()): MappedEntry {
  const entryId = String(entry.id);
  const problems: EntryProblem[] = [];
  const companyId = entry.company?.id;
  let customerId: string | undefined;
  if (companyId === undefined || companyId === null) problems.push({ field: 'company', reason: 'the entry names no company' });
  else {
    customerId = lookups.customerOfCompany(String(companyId));
    if (!customerId) problems.push({ field: 'company', reason: `ConnectWise company ${companyId} is linked to no hub customer (add an external link with system connectwise)` });
  }
  const worked = hours(entry.actualHours, 'actualHours', problems);
  if (worked === null && !problems.some((p) => p.field === 'actualHours')) problems.push({ field: 'actualHours', reason: 'is missing' });
  const billed = hours(entry.hoursBilled, 'hoursBilled', problems);

  const projectCode = entry.project?.id === undefined || entry.project?.id === null ? null : String(entry.project.id);
  let costNodeId: string | null = null;
  if (projectCode !== null && customerId) {
    costNodeId = lookups.costNodeOf(customerId, projectCode) ?? null;
    if (!costNodeId) problems.push({ field: 'project', reason: `project code ${projectCode} maps to no cost node of the customer (set psaProjectCode on one)` });
  }

  const billable = entry.billableOption === 'Billable';
  let rate: Decimal | null = null;
  let rateSource: 'entry' | 'role' | 'agreement' | null = null;
  if (entry.hourlyRate !== null && entry.hourlyRate !== undefined && entry.hourlyRate !== '') {
    rate = hours(entry.hourlyRate, 'hourlyRate', problems);
    rateSource = 'entry';
  } else if (entry.workRole?.id !== undefined && roleRates.has(String(entry.workRole.id))) {
    rate = roleRates.get(String(entry.workRole.id))!;
    rateSource = 'role';
  } else if (entry.agreement?.id !== undefined && entry.agreement?.id !== null && agreementRates.has(String(entry.agreement.id))) {
    rate = agreementRates.get(String(entry.agreement.id))!;
    rateSource = 'agreement';
  }
  if (billable && rate === null && !problems.some((p) => p.field === 'hourlyRate')) problems.push({ field: 'hourlyRate', reason: 'billable entry with no rate on the entry, its work role or its agreement' });

  const workDate = /^\d{4}-\d{2}-\d{2}/.exec(entry.timeStart ?? '')?.[0];
  if (!workDate) problems.push({ field: 'timeStart', reason: `is not an ISO date-time: ${JSON.stringify(entry.timeStart)}` });
  const updated = entry._info?.lastUpdated ? new Date(entry._info.lastUpdated) : null;
  if (!updated || Number.isNaN(updated.getTime())) problems.push({ field: '_info.lastUpdated', reason: 'is missing or not a date-time' });

  if (problems.length > 0 || !customerId || worked === null || !workDate || !updated) return { ok: false, entryId, problems, source: entry };
  const ticket = entry.ticket?.id ?? (entry.chargeToType === 'ServiceTicket' ? entry.chargeToId : null);
  return {
    ok: true,
    line: {
      entryId,
      customerId,
      costNodeId,
      projectCode,
      ticketId: ticket === null || ticket === undefined ? null : String(ticket),
      member: String(entry.member?.identifier ?? entry.member?.name ?? entry.member?.id ?? 'unknown'),
      workType: entry.workType?.name ?? null,
      workRole: entry.workRole?.name ?? null,
      workDate,
      hoursWorked: worked,
      hoursBillable: billable ? (billed ?? worked) : new Decimal(0),
      billable,
      rate,
      rateSource,
      vendorUpdatedAt: updated,
      source: entry,
    },
  };
}
