import { describe, expect, it } from 'vitest';
import type { TimeEntry } from '../../../src/connectors/autotask/types.ts';
import { mapAutotaskTimeEntry } from '../../../src/mappings/autotask/time-entry.ts';
import { udfKey, type AutotaskReferences } from '../../../src/mappings/autotask/time-entry-mapping.ts';
import { MappingRefused, versionedMapping } from '../../../src/mappings/checked.ts';
import { mappingObject } from '../../../src/mappings/objects.ts';
import type { LabourLookups } from '../../../src/mappings/psa/labour-line.ts';

// An Autotask entry is read through its time entry mapping with its ticket's UDFs by
// name; a rule that cannot run on an entry lists the entry with the rule named.

const OBJECT = mappingObject('autotask', 'time_entry')!;
const lookups: LabourLookups = { customerOfCompany: (c) => (c === '250' ? 'customer-a' : undefined), costNodeOf: () => undefined };
const refs: AutotaskReferences = {
  tickets: new Map([['9001', { id: 9001, companyID: 250, projectID: null, ticketNumber: 'T1', title: 'x', userDefinedFields: [{ name: 'Billed Hours', value: 'lots' }, { name: '2nd Line', value: 'yes' }] }]]),
  tasks: new Map(),
  projects: new Map(),
  roles: new Map([['7', { id: 7, name: 'Engineer', hourlyRate: 120 }]]),
  resources: new Map(),
  billingCodes: new Map(),
  contractRates: new Map(),
};
const entry = { id: 77, ticketID: 9001, roleID: 7, hoursWorked: 1.5, hoursToBill: 1.5, isNonBillable: false, dateWorked: '2026-10-06T00:00:00Z', lastModifiedDateTime: '2026-10-06T10:00:00Z' } as unknown as TimeEntry;
const withRule = (rule: object) => OBJECT.defaultRules.map((r) => (r.target === (rule as { target: string }).target ? rule : r)) as typeof OBJECT.defaultRules;

describe('the Autotask time entry mapping', () => {
  it('names a UDF by a path segment: other characters become _, a leading digit gets one before it', () => {
    expect(udfKey('Work Category')).toBe('Work_Category');
    expect(udfKey('2nd Line')).toBe('_2nd_Line');
  });

  it('reads a ticket UDF through a changed rule', () => {
    const mapping = versionedMapping(OBJECT, 2, withRule({ id: 'billable', target: 'entry.billable', transform: { type: 'expression', expression: "ticket.udf._2nd_Line == 'yes'" } }));
    const mapped = mapAutotaskTimeEntry(entry, lookups, refs, mapping);
    expect(mapped.ok && [mapped.line.billable, mapped.line.hoursBillable.toString(), mapped.line.rate?.toString()]).toEqual([true, '1.5', '120']);
  });

  it('lists an entry whose mapped value cannot be read, naming the version and the rule', () => {
    const mapping = versionedMapping(OBJECT, 3, withRule({ id: 'hours', source: 'ticket.udf.Billed_Hours', target: 'entry.hoursToBill', transform: { type: 'decimal', scale: 2 } }));
    const mapped = mapAutotaskTimeEntry(entry, lookups, refs, mapping);
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.problems).toEqual([{ field: 'hoursToBill', reason: expect.stringMatching(/^time entry mapping v3 rule hours: .*"lots"/) }]);
  });

  it('refuses a stored version whose rule writes a field the labour line does not have', () => {
    const rules = [...OBJECT.defaultRules, { id: 'work-kind', source: 'billingCode.name', target: 'entry.workKind', transform: { type: 'copy' as const } }];
    expect(() => versionedMapping(OBJECT, 4, rules)).toThrow(/rule work-kind target: entry\.workKind is not a field of autotask time entry as the hub reads it/);
    expect(() => versionedMapping(OBJECT, 4, rules)).toThrow(MappingRefused);
  });
});
