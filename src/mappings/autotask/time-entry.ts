import { Decimal } from '../../engine/decimal.ts';
import type { ContractRate, Project, Resource, Role, Task, Ticket, TimeEntry } from '../../connectors/autotask/types.ts';
import { nonNegativeDecimal as decimal, ticketCode, type EntryProblem, type LabourLookups, type MappedEntry } from '../psa/labour-line.ts';

/** The records a time entry points at, read from Autotask by id alongside the entries. */
export interface AutotaskReferences {
  tickets: ReadonlyMap<string, Ticket>;
  tasks: ReadonlyMap<string, Task>;
  projects: ReadonlyMap<string, Project>;
  roles: ReadonlyMap<string, Role>;
  resources: ReadonlyMap<string, Resource>;
  billingCodes: ReadonlyMap<string, { id: number | string; name: string }>;
  /** Contract rates by `contractID|roleID`. */
  contractRates: ReadonlyMap<string, ContractRate>;
}

const idOf = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/**
 * An Autotask time entry as a canonical labour line, or every reason it cannot be one.
 * An entry names no company: it is logged on a ticket (whose companyID is the customer's,
 * and whose projectID, if any, the engagement) or on a project task (whose project's
 * companyID and id are). Customer through the identity map; project id = the code a
 * cost node's psaProjectCode names. Billable unless isNonBillable; billable hours are
 * hoursToBill (else hoursWorked). Rate: Autotask keeps none on the entry, so the rate
 * the entry's contract sets for its role (a ContractRate), else the role's hourly rate.
 */
export function mapAutotaskTimeEntry(entry: TimeEntry, lookups: LabourLookups, refs: AutotaskReferences): MappedEntry {
  const entryId = String(entry.id);
  const problems: EntryProblem[] = [];
  const ticketId = idOf(entry.ticketID);
  const taskId = idOf(entry.taskID);
  let companyId: string | null = null;
  let projectCode: string | null = null;
  if (ticketId !== null) {
    const ticket = refs.tickets.get(ticketId);
    if (!ticket) problems.push({ field: 'ticketID', reason: `ticket ${ticketId} was not found in Autotask` });
    else {
      companyId = idOf(ticket.companyID);
      projectCode = idOf(ticket.projectID);
    }
  } else if (taskId !== null) {
    const task = refs.tasks.get(taskId);
    const project = task ? refs.projects.get(String(task.projectID)) : undefined;
    if (!project) problems.push({ field: 'taskID', reason: `task ${taskId} or its project was not found in Autotask` });
    else {
      companyId = idOf(project.companyID);
      projectCode = String(project.id);
    }
  } else problems.push({ field: 'ticketID', reason: 'the entry is logged on neither a ticket nor a task' });

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
  if (projectCode === null && customerId && ticketId !== null) costNodeId = lookups.costNodeOf(customerId, ticketCode(ticketId)) ?? null;

  const worked = decimal(entry.hoursWorked, 'hoursWorked', problems);
  if (worked === null && !problems.some((p) => p.field === 'hoursWorked')) problems.push({ field: 'hoursWorked', reason: 'is missing' });
  const toBill = decimal(entry.hoursToBill, 'hoursToBill', problems);
  const billable = entry.isNonBillable !== true;

  const role = idOf(entry.roleID) === null ? undefined : refs.roles.get(String(entry.roleID));
  const contractRate = idOf(entry.contractID) === null ? undefined : refs.contractRates.get(`${entry.contractID}|${entry.roleID}`)?.contractHourlyRate;
  let rate: Decimal | null = null;
  let rateSource: 'agreement' | 'role' | null = null;
  if (contractRate !== null && contractRate !== undefined) {
    rate = decimal(contractRate, 'contractID', problems);
    rateSource = 'agreement';
  } else if (role?.hourlyRate !== null && role?.hourlyRate !== undefined) {
    rate = decimal(role.hourlyRate, 'roleID', problems);
    rateSource = 'role';
  }
  if (billable && rate === null && !problems.some((p) => p.field === 'roleID' || p.field === 'contractID')) problems.push({ field: 'roleID', reason: `billable entry whose role ${idOf(entry.roleID) ?? '(none)'} has no hourly rate` });

  const workDate = /^\d{4}-\d{2}-\d{2}/.exec(entry.dateWorked ?? entry.startDateTime ?? '')?.[0];
  if (!workDate) problems.push({ field: 'dateWorked', reason: `is not an ISO date: ${JSON.stringify(entry.dateWorked)}` });
  const updated = entry.lastModifiedDateTime ? new Date(entry.lastModifiedDateTime) : null;
  if (!updated || Number.isNaN(updated.getTime())) problems.push({ field: 'lastModifiedDateTime', reason: 'is missing or not a date-time' });

  if (problems.length > 0 || !customerId || worked === null || !workDate || !updated) return { ok: false, entryId, problems, source: entry };
  const resource = idOf(entry.resourceID) === null ? undefined : refs.resources.get(String(entry.resourceID));
  const billingCode = idOf(entry.billingCodeID) === null ? undefined : refs.billingCodes.get(String(entry.billingCodeID));
  return {
    ok: true,
    line: {
      entryId,
      customerId,
      costNodeId,
      projectCode,
      ticketId,
      member: resource?.userName ?? idOf(entry.resourceID) ?? 'unknown',
      workType: billingCode?.name ?? null,
      workRole: role?.name ?? null,
      workDate,
      hoursWorked: worked,
      hoursBillable: billable ? (toBill ?? worked) : new Decimal(0),
      billable,
      rate,
      rateSource,
      vendorUpdatedAt: updated,
      source: entry,
    },
  };
}
