import { Decimal } from '../../engine/decimal.ts';
import type { TimeEntry } from '../../connectors/autotask/types.ts';
import { nonNegativeDecimal as decimal, ticketCode, type EntryProblem, type LabourLookups, type MappedEntry } from '../psa/labour-line.ts';
import { versionedMapping, type VersionedMapping } from '../checked.ts';
import { applyMapping } from '../engine/apply.ts';
import { mappingObject } from '../objects.ts';
import { autotaskSourceRecord, idOf, type AutotaskReferences } from './time-entry-mapping.ts';

export type { AutotaskReferences } from './time-entry-mapping.ts';

const TIME_ENTRY_OBJECT = mappingObject('autotask', 'time_entry')!;

export const BUILT_IN_AUTOTASK_TIME_ENTRY_MAPPING: VersionedMapping = versionedMapping(TIME_ENTRY_OBJECT, 0, TIME_ENTRY_OBJECT.defaultRules);

interface EntryFields {
  companyID?: string | null;
  projectID?: string | null;
  ticketID?: string | null;
  member?: string | null;
  workType?: string | null;
  workRole?: string | null;
  hoursWorked?: string | null;
  hoursToBill?: string | null;
  billable?: boolean | null;
  contractRate?: string | null;
  roleRate?: string | null;
  dateWorked?: string | null;
  lastModifiedDateTime?: string | null;
}

/** The entry's fields as the mapping gives them; a rule that cannot run is a problem naming it. */
function mappedFields(record: Record<string, unknown>, mapping: VersionedMapping, problems: EntryProblem[]): EntryFields {
  const mapped = applyMapping(mapping.checked, TIME_ENTRY_OBJECT.source, TIME_ENTRY_OBJECT.target, record);
  for (const p of mapped.problems) problems.push({ field: p.field.slice('entry.'.length), reason: `time entry mapping v${mapping.version} rule ${p.rule}: ${p.reason}` });
  return (mapped.output.entry ?? {}) as EntryFields;
}

/**
 * An Autotask time entry as a canonical labour line, or every reason it cannot be one,
 * its fields read through the connection's time entry mapping (built in: as below).
 * An entry names no company: it is logged on a ticket (whose companyID is the customer's,
 * and whose projectID, if any, the engagement) or on a project task (whose project's
 * companyID and id are). Customer through the identity map; project id = the code a
 * cost node's psaProjectCode names. Billable unless isNonBillable; billable hours are
 * hoursToBill (else hoursWorked). Rate: Autotask keeps none on the entry, so the rate
 * the entry's contract sets for its role (a ContractRate), else the role's hourly rate.
 */
export function mapAutotaskTimeEntry(entry: TimeEntry, lookups: LabourLookups, refs: AutotaskReferences, mapping: VersionedMapping = BUILT_IN_AUTOTASK_TIME_ENTRY_MAPPING): MappedEntry {
  const entryId = String(entry.id);
  const problems: EntryProblem[] = [];
  const ticketId = idOf(entry.ticketID);
  const taskId = idOf(entry.taskID);
  if (ticketId !== null) {
    if (!refs.tickets.has(ticketId)) problems.push({ field: 'ticketID', reason: `ticket ${ticketId} was not found in Autotask` });
  } else if (taskId !== null) {
    const task = refs.tasks.get(taskId);
    if (!task || !refs.projects.has(String(task.projectID))) problems.push({ field: 'taskID', reason: `task ${taskId} or its project was not found in Autotask` });
  } else problems.push({ field: 'ticketID', reason: 'the entry is logged on neither a ticket nor a task' });

  const source = autotaskSourceRecord(entry, refs);
  const fields = mappedFields(source, mapping, problems);
  const companyId = idOf(fields.companyID);
  const projectCode = idOf(fields.projectID);
  let customerId: string | undefined;
  if (companyId !== null) {
    customerId = lookups.customerOfCompany(companyId);
    if (!customerId) problems.push({ field: 'companyID', reason: `Autotask company ${companyId} is linked to no hub customer (add an external link with system autotask)` });
  } else if (problems.length === 0) problems.push({ field: 'companyID', reason: 'the ticket names no company' });

  let costNodeId: string | null = null;
  if (projectCode !== null && customerId) {
    costNodeId = lookups.costNodeOf(customerId, projectCode) ?? null;
    if (!costNodeId) problems.push({ field: 'projectID', reason: `project code ${projectCode} maps to no cost node of the customer (set psaProjectCode on one)` });
  }
  const mappedTicket = idOf(fields.ticketID);
  if (projectCode === null && customerId && mappedTicket !== null) costNodeId = lookups.costNodeOf(customerId, ticketCode(mappedTicket)) ?? null;

  const worked = decimal(fields.hoursWorked, 'hoursWorked', problems);
  if (worked === null && !problems.some((p) => p.field === 'hoursWorked')) problems.push({ field: 'hoursWorked', reason: 'is missing' });
  const toBill = decimal(fields.hoursToBill, 'hoursToBill', problems);
  const billable = fields.billable !== false;

  let rate: Decimal | null = null;
  let rateSource: 'agreement' | 'role' | null = null;
  if (idOf(fields.contractRate) !== null) {
    rate = decimal(fields.contractRate, 'contractID', problems);
    rateSource = 'agreement';
  } else if (idOf(fields.roleRate) !== null) {
    rate = decimal(fields.roleRate, 'roleID', problems);
    rateSource = 'role';
  }
  if (billable && rate === null && !problems.some((p) => ['roleID', 'contractID', 'contractRate', 'roleRate'].includes(p.field))) {
    problems.push({ field: 'roleID', reason: `billable entry whose role ${idOf(entry.roleID) ?? '(none)'} has no hourly rate` });
  }

  const workDate = /^\d{4}-\d{2}-\d{2}/.exec(fields.dateWorked ?? '')?.[0];
  if (!workDate) problems.push({ field: 'dateWorked', reason: `is not an ISO date: ${JSON.stringify(fields.dateWorked ?? null)}` });
  const updated = fields.lastModifiedDateTime ? new Date(fields.lastModifiedDateTime) : null;
  if (!updated || Number.isNaN(updated.getTime())) problems.push({ field: 'lastModifiedDateTime', reason: 'is missing or not a date-time' });

  if (problems.length > 0 || !customerId || worked === null || !workDate || !updated) return { ok: false, entryId, problems, source };
  return {
    ok: true,
    line: {
      entryId,
      customerId,
      costNodeId,
      projectCode,
      ticketId: mappedTicket,
      member: fields.member ?? 'unknown',
      workType: fields.workType ?? null,
      workRole: fields.workRole ?? null,
      workDate,
      hoursWorked: worked,
      hoursBillable: billable ? (toBill ?? worked) : new Decimal(0),
      billable,
      rate,
      rateSource,
      vendorUpdatedAt: updated,
      source,
    },
  };
}
