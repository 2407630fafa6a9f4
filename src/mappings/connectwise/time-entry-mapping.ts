import type { FieldSpec, MappingRule, RecordSchema } from '../engine/types.ts';

// The ConnectWise time entry as a mapping source, the fields the labour line mapping
// reads (under `entry.`, in ConnectWise's own shape), and the connector's built-in
// reading, each field copied as it comes, written as its default mapping. An admin
// changes where a field comes from (a rate from the work role's name through a lookup,
// NoCharge counted as billable, …); the labour rules in time-entry.ts stay the same.

/** The fields the hub reads, by ConnectWise's path; values as text (numbers and ids become their text). */
const READ_FIELDS: Readonly<Record<string, FieldSpec>> = {
  'company.id': { type: 'string', description: 'The company: its customer through the identity map' },
  'company.identifier': { type: 'string' },
  'company.name': { type: 'string' },
  'project.id': { type: 'string', description: "The project: a cost node's psaProjectCode" },
  'ticket.id': { type: 'string' },
  chargeToId: { type: 'string' },
  chargeToType: { type: 'string' },
  'member.id': { type: 'string' },
  'member.identifier': { type: 'string' },
  'member.name': { type: 'string' },
  timeStart: { type: 'string', description: 'ISO 8601 date-time; its date is the work date' },
  actualHours: { type: 'string', description: 'Hours worked' },
  hoursBilled: { type: 'string', description: 'Hours billed (else the hours worked)' },
  billableOption: { type: 'string', description: 'Billable, DoNotBill, NoCharge or NoDefault: only Billable is invoiced' },
  hourlyRate: { type: 'string', description: "The entry's rate (else its work role's)" },
  'workType.name': { type: 'string' },
  'workRole.id': { type: 'string' },
  'workRole.name': { type: 'string' },
  'agreement.id': { type: 'string', description: "The agreement: its default work role's rate when the entry and its work role have none" },
  notes: { type: 'string' },
  '_info.lastUpdated': { type: 'string', description: 'When ConnectWise last changed the entry' },
};

export const CONNECTWISE_TIME_ENTRY_SOURCE: RecordSchema = { name: 'connectwise time entry', fields: { id: { type: 'string' }, ...READ_FIELDS } };

/** What the labour line mapping reads: the same fields under `entry.`. */
export const TIME_ENTRY_TARGET: RecordSchema = {
  name: 'time entry as the hub reads it',
  fields: Object.fromEntries(Object.entries(READ_FIELDS).filter(([path]) => !path.startsWith('company.') || path === 'company.id').map(([path, spec]) => [`entry.${path}`, spec])),
};

/** What the connector did before time entry mappings were data, as data. */
export const CONNECTWISE_TIME_ENTRY_DEFAULT: readonly MappingRule[] = Object.keys(TIME_ENTRY_TARGET.fields).map((target) => ({
  id: target.slice('entry.'.length).replace(/[._]+/g, '-').replace(/^-/, ''),
  source: target.slice('entry.'.length),
  target,
  transform: { type: 'copy' },
}));
