import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotaskClientFor } from '../../src/jobs/autotask/client-for-connection.ts';
import { syncAutotaskTime } from '../../src/jobs/autotask/time-sync.ts';
import { COMPANIES, PROJECTS, TICKETS, startAutotaskSandbox, type AutotaskSandbox } from '../../src/sandbox/autotask/index.ts';
import { BILLING_CODES } from '../../src/sandbox/autotask/catalog.ts';
import { connectAutotask, linkAutotaskCompanies } from '../helpers/autotask.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The Autotask time entry's built-in reading is its default mapping (version 0). An MSP
// that keeps its work category in a ticket UDF ("Work Category") maps that UDF to the
// labour line's work type through the API; the next sync uses it and records version 1.
// Autotask time entries have no UDFs of their own: the ticket's are read with it.

let hub: TestHub;
let sandbox: AutotaskSandbox;
let connectionId = '';
const ticket = TICKETS[0];

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startAutotaskSandbox({ timeEntries: 12 });
  connectionId = await connectAutotask(hub, sandbox);
  await linkAutotaskCompanies(hub, COMPANIES, PROJECTS);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const noWait = async () => {};
const sync = async () => syncAutotaskTime({ connectionId }, hub.ctx, { client: (await autotaskClientFor(hub.ctx, connectionId, { sleep: noWait })).client });
const call = async (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.admin), ...(payload ? { payload } : {}) });
const mappingUrl = () => `/v1/connections/${connectionId}/mappings/time_entry`;
const workTypeOf = async (entryId: number) =>
  (await hub.ctx.db.selectFrom('labour_lines').select(['work_type', 'version']).where('connection_id', '=', connectionId).where('entry_id', '=', String(entryId)).where('status', '=', 'current').executeTakeFirstOrThrow());
const uses = () => hub.ctx.db.selectFrom('mapping_uses').select(['object', 'version', 'records']).where('connection_id', '=', connectionId).orderBy('version').execute();
const counts = async () => ({
  lines: (await hub.ctx.db.selectFrom('labour_lines').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
  versions: (await hub.ctx.db.selectFrom('field_mappings').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n,
  uses: await uses(),
});
/** Entries the sandbox logged on the ticket, by the sandbox's own records. */
const onTicket = () => [...sandbox.account.entries.values()].filter((e) => e.ticketID === ticket.id);
const billingCodeName = (entry: Record<string, unknown>) => BILLING_CODES.find((b) => b.id === entry.billingCodeID)!.name;

const udfWorkType = { id: 'work-type', target: 'entry.workType', transform: { type: 'expression', expression: 'coalesce(ticket.udf.Work_Category, billingCode.name)' } };

describe('Autotask time entries through their field mapping', () => {
  it('reads the work type from the billing code with the built-in mapping, and records version 0', async () => {
    // Behind the hub's back, the ticket gets a work category (sandbox control API).
    const set = await fetch(`${sandbox.url}/_sandbox/tickets/${ticket.id}/udfs`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ 'Work Category': 'Migration' }) });
    expect(set.status).toBe(200);
    const defaults = (await call('GET', mappingUrl())).json();
    expect(defaults).toMatchObject({ provider: 'autotask', object: 'time_entry', version: 0, builtIn: true });
    expect(defaults.rules.find((r: { target: string }) => r.target === 'entry.workType')).toMatchObject({ source: 'billingCode.name', transform: { type: 'copy' } });
    await sync();
    const entries = onTicket();
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect((await workTypeOf(Number(e.id))).work_type).toBe(billingCodeName(e));
    expect(await uses()).toEqual([{ object: 'time_entry', version: 0, records: 12 }]);
  });

  it('previews the UDF as the work type on the real entries, writing nothing', async () => {
    const before = await counts();
    const current = (await call('GET', mappingUrl())).json();
    const rules = current.rules.map((r: { target: string }) => (r.target === 'entry.workType' ? udfWorkType : r));
    const res = await call('POST', `${mappingUrl()}/preview`, { rules, last: 50 });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ version: 'draft', inForce: 0 });
    const ids = new Set(onTicket().map((e) => String(e.id)));
    const previewed = body.records.filter((r: { label: string }) => ids.has(/time entry (\d+)/.exec(r.label)![1]!));
    expect(previewed).toHaveLength(ids.size);
    for (const record of previewed) {
      const entry = onTicket().find((e) => record.label.includes(`time entry ${e.id},`))!;
      expect(record.fields.find((f: { target: string }) => f.target === 'entry.workType')).toEqual({ target: 'entry.workType', before: billingCodeName(entry), after: 'Migration', changed: true });
      expect(record.problems).toEqual([]);
    }
    // Entries on tasks have no ticket: the billing code stays their work type.
    const others = body.records.filter((r: { label: string }) => !ids.has(/time entry (\d+)/.exec(r.label)![1]!));
    for (const record of others) expect(record.fields.find((f: { target: string }) => f.target === 'entry.workType').changed).toBe(false);
    expect(await counts()).toEqual(before);
  });

  it('refuses a mapping that reads an unknown path, naming the rule, and keeps version 0', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const bad = { id: 'work-type', source: 'ticket.userDefinedFields', target: 'entry.workType', transform: { type: 'copy' } };
    const rules = current.rules.map((r: { target: string }) => (r.target === 'entry.workType' ? bad : r));
    const res = await call('PUT', mappingUrl(), { rules, reason: 'work category from the ticket' });
    expect(res.statusCode).toBe(400);
    const index = rules.findIndex((r: { id: string }) => r.id === 'work-type');
    expect(res.json().errors).toEqual([{ field: `rules.${index}.source`, reason: expect.stringMatching(/^rule work-type: ticket\.userDefinedFields is not a field of autotask time entry/) }]);
    expect((await call('GET', mappingUrl())).json().version).toBe(0);
  });

  it('takes the work type from the ticket UDF after an admin maps it; the next sync records version 1', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const rules = current.rules.map((r: { target: string }) => (r.target === 'entry.workType' ? udfWorkType : r));
    const saved = await call('PUT', mappingUrl(), { rules, reason: 'Our work category lives in a ticket UDF' });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(1);
    const [edited] = onTicket();
    sandbox.account.editTimeEntry(Number(edited!.id), { summaryNotes: 'reviewed' });
    const result = await sync();
    expect(result.changed).toBe(1);
    expect(await workTypeOf(Number(edited!.id))).toEqual({ work_type: 'Migration', version: 2 });
    expect(await uses()).toEqual([
      { object: 'time_entry', version: 0, records: 12 },
      { object: 'time_entry', version: 1, records: result.fetched },
    ]);
  });
});
