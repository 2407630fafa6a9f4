import type { FieldSpec, MappingRule, RecordSchema } from '../engine/types.ts';
import { copyRule as copy, expressionRule as expression } from '../rules.ts';
import type { ContractRate, Project, Resource, Role, Task, Ticket, TimeEntry } from '../../connectors/autotask/types.ts';

// The Autotask time entry as a mapping source and the fields its labour line is made
// from, with the connector's built-in reading written as the default mapping. An
// Autotask entry carries only ids, so the source is the entry with the records it points
// at (its ticket with the ticket's user-defined fields, task, project, role, resource,
// billing code and contract rate): an admin can then take the work type from a ticket
// UDF, the customer from another company field, and so on, without a code change.

const text = (description?: string): FieldSpec => (description ? { type: 'string', description } : { type: 'string' });

export const AUTOTASK_TIME_ENTRY_SOURCE: RecordSchema = {
  name: 'autotask time entry with its ticket, task, project, role, resource, billing code and contract rate',
  fields: {
    id: text(),
    resourceID: text(),
    ticketID: text(),
    taskID: text(),
    roleID: text(),
    billingCodeID: text('The work type'),
    contractID: text(),
    contractServiceID: text(),
    dateWorked: text(),
    startDateTime: text(),
    endDateTime: text(),
    hoursWorked: text(),
    hoursToBill: text(),
    isNonBillable: { type: 'boolean' },
    showOnInvoice: { type: 'boolean' },
    summaryNotes: text(),
    lastModifiedDateTime: text(),
    'ticket.companyID': text(),
    'ticket.projectID': text(),
    'ticket.ticketNumber': text(),
    'ticket.title': text(),
    'ticket.udf.*': text("The ticket's user-defined fields by name; a character other than a letter, digit, _ or - is written _ (\"Work Category\" → ticket.udf.Work_Category)"),
    'task.projectID': text(),
    'task.title': text(),
    'project.id': text("The entry's project: its task's, or its ticket's"),
    'project.companyID': text(),
    'project.projectName': text(),
    'project.projectNumber': text(),
    'role.name': text(),
    'role.hourlyRate': text(),
    'resource.userName': text(),
    'resource.firstName': text(),
    'resource.lastName': text(),
    'billingCode.name': text(),
    'contractRate.contractHourlyRate': text("The entry's contract's own rate for its role"),
  },
};

/** What the Autotask labour line is made from. */
export const AUTOTASK_TIME_ENTRY_TARGET: RecordSchema = {
  name: 'autotask time entry as the hub reads it',
  fields: {
    'entry.companyID': text('The Autotask company: the customer through the identity map'),
    'entry.projectID': text("The project: a cost node's psaProjectCode"),
    'entry.ticketID': text('The service ticket: time outside a project goes to the cost node coded ticket:<id>'),
    'entry.member': text(),
    'entry.workType': text(),
    'entry.workRole': text(),
    'entry.hoursWorked': text(),
    'entry.hoursToBill': text('Hours billed (else the hours worked)'),
    'entry.billable': { type: 'boolean', description: 'Non-billable entries are kept with 0 billable hours' },
    'entry.contractRate': text("The contract's rate for the role; wins over the role's"),
    'entry.roleRate': text("The role's hourly rate"),
    'entry.dateWorked': text('ISO 8601; its date is the work date'),
    'entry.lastModifiedDateTime': text(),
  },
};


/** What the connector did before time entry mappings were data, as data. */
export const AUTOTASK_TIME_ENTRY_DEFAULT: readonly MappingRule[] = [
  expression('company', 'coalesce(ticket.companyID, project.companyID)', 'entry.companyID'),
  expression('project', 'coalesce(ticket.projectID, project.id)', 'entry.projectID'),
  copy('ticket', 'ticketID', 'entry.ticketID'),
  expression('member', 'coalesce(resource.userName, resourceID)', 'entry.member'),
  copy('work-type', 'billingCode.name', 'entry.workType'),
  copy('work-role', 'role.name', 'entry.workRole'),
  copy('hours-worked', 'hoursWorked', 'entry.hoursWorked'),
  copy('hours-to-bill', 'hoursToBill', 'entry.hoursToBill'),
  expression('billable', 'not coalesce(isNonBillable, false)', 'entry.billable'),
  copy('contract-rate', 'contractRate.contractHourlyRate', 'entry.contractRate'),
  copy('role-rate', 'role.hourlyRate', 'entry.roleRate'),
  expression('date-worked', 'coalesce(dateWorked, startDateTime)', 'entry.dateWorked'),
  copy('last-modified', 'lastModifiedDateTime', 'entry.lastModifiedDateTime'),
];

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

export const idOf = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/** A UDF name as one path segment. */
export function udfKey(name: string): string {
  const key = name.trim().replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(key) ? key : `_${key}`;
}

/**
 * The mapping's source record: the entry with the records it points at. The project is
 * the ticket's (a ticket entry) or the task's (a task entry); a ticket wins over a task,
 * as it does in Autotask's own billing.
 */
export function autotaskSourceRecord(entry: TimeEntry, refs: AutotaskReferences): Record<string, unknown> {
  const record: Record<string, unknown> = { ...entry };
  const ticketId = idOf(entry.ticketID);
  const ticket = ticketId === null ? undefined : refs.tickets.get(ticketId);
  const task = ticketId !== null || idOf(entry.taskID) === null ? undefined : refs.tasks.get(String(entry.taskID));
  const projectId = ticketId !== null ? idOf(ticket?.projectID) : idOf(task?.projectID);
  const project = projectId === null ? undefined : refs.projects.get(projectId);
  if (ticket) {
    const { userDefinedFields, ...fields } = ticket;
    record.ticket = { ...fields, udf: Object.fromEntries((userDefinedFields ?? []).map((u) => [udfKey(u.name), u.value])) };
  }
  if (task) record.task = task;
  if (project) record.project = project;
  const role = idOf(entry.roleID) === null ? undefined : refs.roles.get(String(entry.roleID));
  if (role) record.role = role;
  const resource = idOf(entry.resourceID) === null ? undefined : refs.resources.get(String(entry.resourceID));
  if (resource) record.resource = resource;
  const billingCode = idOf(entry.billingCodeID) === null ? undefined : refs.billingCodes.get(String(entry.billingCodeID));
  if (billingCode) record.billingCode = billingCode;
  const contractRate = idOf(entry.contractID) === null ? undefined : refs.contractRates.get(`${entry.contractID}|${entry.roleID}`);
  if (contractRate) record.contractRate = contractRate;
  return record;
}
