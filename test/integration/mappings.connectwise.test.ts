import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectwiseClientFor } from '../../src/jobs/connectwise/client-for-connection.ts';
import { syncConnectWiseTime } from '../../src/jobs/connectwise/time-sync.ts';
import { COMPANIES, PROJECTS, startConnectWiseSandbox, type ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { connectConnectWise, linkSandboxCompanies } from '../helpers/connectwise.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The ConnectWise time entry's built-in reading is its default mapping (version 0); an
// admin's changed mapping changes the labour lines the next sync stores, and each sync
// notes the version it mapped with.

let hub: TestHub;
let sandbox: ConnectWiseSandbox;
let connectionId = '';

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startConnectWiseSandbox({ timeEntries: 12 });
  connectionId = await connectConnectWise(hub, sandbox);
  await linkSandboxCompanies(hub, COMPANIES, PROJECTS);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const noWait = async () => {};
const sync = async () => syncConnectWiseTime({ connectionId }, hub.ctx, { client: (await connectwiseClientFor(hub.ctx, connectionId, { sleep: noWait })).client });
const call = async (method: 'GET' | 'PUT', url: string, payload?: object) => hub.app.inject({ method, url, headers: hub.auth(hub.keys.admin), ...(payload ? { payload } : {}) });
const mappingUrl = () => `/v1/connections/${connectionId}/mappings/time_entry`;
const lineOf = (entryId: string) =>
  hub.ctx.db.selectFrom('labour_lines').select(['version', 'billable', 'hours_billable', 'rate']).where('connection_id', '=', connectionId).where('entry_id', '=', entryId).where('status', '=', 'current').executeTakeFirstOrThrow();
const uses = () => hub.ctx.db.selectFrom('mapping_uses').select(['object', 'version', 'records']).where('connection_id', '=', connectionId).orderBy('version').execute();

describe('ConnectWise time entries through their field mapping', () => {
  it('counts a NoCharge entry as non-billable with the built-in mapping, and records version 0', async () => {
    const defaults = (await call('GET', mappingUrl())).json();
    expect(defaults).toMatchObject({ provider: 'connectwise', object: 'time_entry', version: 0, builtIn: true });
    expect(defaults.rules.find((r: { target: string }) => r.target === 'entry.billableOption')).toMatchObject({ source: 'billableOption', transform: { type: 'copy' } });
    sandbox.account.editTimeEntry(10005, { actualHours: 2.5, hoursBilled: 2.5, billableOption: 'NoCharge', hourlyRate: 120 });
    await sync();
    expect(await lineOf('10005')).toEqual({ version: 1, billable: false, hours_billable: '0', rate: '120' });
    expect(await uses()).toEqual([{ object: 'time_entry', version: 0, records: 12 }]);
  });

  it('bills NoCharge time after an admin maps it to Billable; the sync records version 1', async () => {
    const current = (await call('GET', mappingUrl())).json();
    const billable = { id: 'billable-option', target: 'entry.billableOption', transform: { type: 'expression', expression: "billableOption == 'NoCharge' ? 'Billable' : billableOption" } };
    const rules = current.rules.map((r: { target: string }) => (r.target === 'entry.billableOption' ? billable : r));
    const saved = await call('PUT', mappingUrl(), { rules, reason: 'NoCharge time is billed under the support contract' });
    expect(saved.statusCode, saved.body).toBe(200);
    sandbox.account.editTimeEntry(10005, { notes: 'reviewed' });
    await sync();
    // 2.5 h × 120 billable now; the entry's other fields as before.
    expect(await lineOf('10005')).toEqual({ version: 2, billable: true, hours_billable: '2.5', rate: '120' });
    expect(await uses()).toEqual([
      { object: 'time_entry', version: 0, records: 12 },
      { object: 'time_entry', version: 1, records: 1 },
    ]);
  });
});
