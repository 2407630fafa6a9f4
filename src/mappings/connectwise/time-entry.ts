import { Decimal } from '../../engine/decimal.ts';
import type { TimeEntry } from '../../connectors/connectwise/types.ts';
import { nonNegativeDecimal as hours, ticketCode, type EntryProblem, type LabourLookups, type MappedEntry } from '../psa/labour-line.ts';
import { checkedRules } from '../checked.ts';
import { applyMapping } from '../engine/apply.ts';
import type { MappingRule } from '../engine/types.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import { mappingObject } from '../objects.ts';

const TIME_ENTRY_OBJECT = mappingObject('connectwise', 'time_entry')!;

/** A checked time entry mapping and the version it is. */
export interface TimeEntryMapping {
  version: number;
  checked: CheckedMapping;
}

/** The rules checked against the time entry schemas (MappingRefused naming each rule otherwise). */
export function timeEntryMapping(version: number, rules: readonly MappingRule[]): TimeEntryMapping {
  return { version, checked: checkedRules(TIME_ENTRY_OBJECT, rules) };
}

export const BUILT_IN_TIME_ENTRY_MAPPING: TimeEntryMapping = timeEntryMapping(0, TIME_ENTRY_OBJECT.defaultRules);

/** The entry's fields as the mapping gives them, in ConnectWise's shape; a rule that cannot run is a problem naming it. */
function mappedFields(record: TimeEntry, mapping: TimeEntryMapping, problems: EntryProblem[]): TimeEntry {
  const mapped = applyMapping(mapping.checked, TIME_ENTRY_OBJECT.source, TIME_ENTRY_OBJECT.target, record);
  for (const p of mapped.problems) problems.push({ field: p.field.slice('entry.'.length), reason: `time entry mapping v${mapping.version} rule ${p.rule}: ${p.reason}` });
  return { ...((mapped.output.entry ?? {}) as Omit<TimeEntry, 'id'>), id: record.id };
}

/** The work role rates the mapping may fall back on, by role id (or, for agreements, by agreement id). */
export type RoleRates = ReadonlyMap<string, Decimal>;

/**
 * A ConnectWise time entry as a canonical labour line, or every reason it cannot be one,
 * its fields read through the connection's time entry mapping (built in: as they come).
 * Customer: the entry's company through the identity map. Engagement: its project, whose
 * id is the code a cost node's psaProjectCode names. Billable when billableOption is
 * Billable; billable hours are hoursBilled (else actualHours). Rate: the entry's
 * hourlyRate, else its work role's, else the rate of its agreement's work role
 * (`agreementRates`, by agreement id: ConnectWise agreements carry a default work role,
 * not an hourly rate of their own).
 */
export function mapConnectWiseTimeEntry(
  record: TimeEntry,
  lookups: LabourLookups,
  roleRates: RoleRates,
  agreementRates: RoleRates = new Map(),
  mapping: TimeEntryMapping = BUILT_IN_TIME_ENTRY_MAPPING,
): MappedEntry {
  const entryId = String(record.id);
  const problems: EntryProblem[] = [];
  const entry = mappedFields(record, mapping, problems);
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
  const ticketRef = entry.ticket?.id ?? (entry.chargeToType === 'ServiceTicket' ? entry.chargeToId : null);
  if (projectCode === null && customerId && ticketRef !== null && ticketRef !== undefined) costNodeId = lookups.costNodeOf(customerId, ticketCode(String(ticketRef))) ?? null;

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

  if (problems.length > 0 || !customerId || worked === null || !workDate || !updated) return { ok: false, entryId, problems, source: record };
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
      source: record,
    },
  };
}
