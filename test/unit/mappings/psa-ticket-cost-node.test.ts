import { describe, expect, it } from 'vitest';
import type { TimeEntry as AutotaskEntry } from '../../../src/connectors/autotask/types.ts';
import type { TimeEntry as ConnectWiseEntry } from '../../../src/connectors/connectwise/types.ts';
import { mapAutotaskTimeEntry, type AutotaskReferences } from '../../../src/mappings/autotask/time-entry.ts';
import { mapConnectWiseTimeEntry } from '../../../src/mappings/connectwise/time-entry.ts';
import type { LabourLookups } from '../../../src/mappings/psa/labour-line.ts';

// Project and ticket codes map to the customer's cost nodes through the codes an admin
// sets on the nodes (psaProjectCode): a project by its id, one service ticket outside any
// project by `ticket:<id>`. Time on a ticket no node names stays with the customer as a
// whole (no cost node), as before.

const lookups: LabourLookups = {
  customerOfCompany: (company) => (company === '250' ? 'customer-a' : undefined),
  costNodeOf: (customer, code) => (customer === 'customer-a' ? ({ '301': 'node-project', 'ticket:9001': 'node-migration' } as Record<string, string>)[code] : undefined),
};

const cw = (over: Partial<ConnectWiseEntry>): ConnectWiseEntry =>
  ({
    id: 501,
    company: { id: 250 },
    chargeToType: 'ServiceTicket',
    chargeToId: 9001,
    ticket: { id: 9001 },
    member: { identifier: 'jdoe' },
    timeStart: '2026-10-05T09:00:00Z',
    actualHours: 2,
    hoursBilled: 2,
    billableOption: 'Billable',
    hourlyRate: 150,
    _info: { lastUpdated: '2026-10-05T12:00:00Z' },
    ...over,
  }) as unknown as ConnectWiseEntry;

describe('a service ticket mapped to a cost node', () => {
  it('puts ConnectWise time on ticket 9001 on the node coded ticket:9001, and time on another ticket on none', () => {
    const mapped = mapConnectWiseTimeEntry(cw({}), lookups, new Map());
    expect(mapped.ok && mapped.line.costNodeId).toBe('node-migration');
    const other = mapConnectWiseTimeEntry(cw({ ticket: { id: 9002 }, chargeToId: 9002 } as Partial<ConnectWiseEntry>), lookups, new Map());
    expect(other.ok && other.line.costNodeId).toBeNull();
    // A project wins over its ticket: the project's node.
    const onProject = mapConnectWiseTimeEntry(cw({ project: { id: 301 } } as Partial<ConnectWiseEntry>), lookups, new Map());
    expect(onProject.ok && onProject.line.costNodeId).toBe('node-project');
  });

  it('does the same for an Autotask entry on a ticket outside any project', () => {
    const refs: AutotaskReferences = {
      tickets: new Map([['9001', { id: 9001, companyID: 250, projectID: null } as never]]),
      tasks: new Map(),
      projects: new Map(),
      roles: new Map([['7', { id: 7, name: 'Engineer', hourlyRate: 120 } as never]]),
      resources: new Map(),
      billingCodes: new Map(),
      contractRates: new Map(),
    };
    const entry = { id: 77, ticketID: 9001, roleID: 7, hoursWorked: 1.5, hoursToBill: 1.5, isNonBillable: false, dateWorked: '2026-10-06T00:00:00Z', lastModifiedDateTime: '2026-10-06T10:00:00Z' } as unknown as AutotaskEntry;
    const mapped = mapAutotaskTimeEntry(entry, lookups, refs);
    expect(mapped.ok && mapped.line.costNodeId).toBe('node-migration');
  });
});
