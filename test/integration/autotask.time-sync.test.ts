import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { autotaskClientFor } from '../../src/jobs/autotask/client-for-connection.ts';
import { enqueueAutotaskTimeSync, syncAutotaskTime } from '../../src/jobs/autotask/time-sync.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { gte } from '../../src/connectors/autotask/filter.ts';
import { COMPANIES, PROJECTS, ROLES, STRAY, TASKS, TICKETS, TM_CONTRACT, startAutotaskSandbox, type AutotaskSandbox } from '../../src/sandbox/autotask/index.ts';
import { connectAutotask, linkAutotaskCompanies } from '../helpers/autotask.ts';
import { currentLabourLines, labourLinesOf } from '../helpers/psa.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let sandbox: AutotaskSandbox;
let big: AutotaskSandbox;
let connectionId = '';
let customers: Awaited<ReturnType<typeof linkAutotaskCompanies>>;

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startAutotaskSandbox({ timeEntries: 30 });
  big = await startAutotaskSandbox({ timeEntries: 2500, seed: 'big' });
  connectionId = await connectAutotask(hub, sandbox);
  customers = await linkAutotaskCompanies(hub, COMPANIES, PROJECTS);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
  await big?.close();
});

const noWait = async () => {};
const sync = async (id: string, options: Parameters<typeof syncAutotaskTime>[2] = {}) =>
  syncAutotaskTime({ connectionId: id }, hub.ctx, { client: (await autotaskClientFor(hub.ctx, id, { sleep: noWait })).client, ...options });
const linesOf = (id: string) => labourLinesOf(hub, id);
const current = (id: string) => currentLabourLines(hub, id);

/** The company and project of an entry, read from the sandbox catalogue the way Autotask links them. */
function companyAndProject(entry: Record<string, unknown>): { company: number; project: number | null } {
  if (entry.ticketID !== null) {
    const ticket = TICKETS.find((t) => t.id === entry.ticketID)!;
    return { company: ticket.companyID, project: ticket.projectID };
  }
  const project = PROJECTS.find((p) => p.id === TASKS.find((t) => t.id === entry.taskID)!.projectID)!;
  return { company: project.companyID, project: project.id };
}

describe('Autotask incremental time-entry sync', () => {
  it('stores every entry as a labour line on its customer and project, through the worker', async () => {
    await enqueueAutotaskTimeSync(hub.ctx, connectionId);
    await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
    const lines = await current(connectionId);
    expect(lines).toHaveLength(30);
    for (const line of lines) {
      // The vendor's own records are the expectation: the entry, its ticket or task's project, its role.
      const entry = sandbox.account.entries.get(Number(line.entry_id))!;
      const { company, project } = companyAndProject(entry);
      const billable = entry.isNonBillable === false;
      expect(line.customer_id).toBe(customers.get(company)!.customerId);
      expect(line.cost_node_id).toBe(project === null ? null : customers.get(company)!.projectNodeId);
      expect(line.project_code).toBe(project === null ? null : String(project));
      expect(line.hours_worked).toBe(String(entry.hoursWorked));
      expect(line.billable).toBe(billable);
      expect(line.hours_billable).toBe(billable ? String(entry.hoursToBill) : '0');
      expect([line.rate, line.rate_source]).toEqual([String(ROLES.find((r) => r.id === entry.roleID)!.hourlyRate), 'role']);
      expect(line.work_date).toBe(String(entry.dateWorked).slice(0, 10));
      expect(line.version).toBe(1);
    }
    // Zone found once and kept with the connection.
    await autotaskClientFor(hub.ctx, connectionId);
    expect(sandbox.stats().zoneLookups).toBe(1);
  });

  it('picks up only changed entries; an edit supersedes the old version and a deletion is marked', async () => {
    sandbox.account.editTimeEntry(10005, { hoursWorked: 7.5, hoursToBill: 7.5, isNonBillable: false });
    sandbox.account.deleteTimeEntry(10006);
    const result = await sync(connectionId);
    expect(result.changed).toBe(1);
    // The edited entry, plus at most the one stamped in the same second as the last one read.
    expect(result.fetched).toBeLessThanOrEqual(2);
    expect(result.deleted).toBe(1);
    const versions = (await linesOf(connectionId)).filter((l) => l.entry_id === '10005');
    expect(versions.map((v) => [v.version, v.status, v.hours_worked])).toEqual([
      [1, 'superseded', versions[0]!.hours_worked],
      [2, 'current', '7.5'],
    ]);
    expect((await linesOf(connectionId)).filter((l) => l.entry_id === '10006').map((d) => d.status)).toEqual(['deleted']);
    expect((await sync(connectionId)).changed).toBe(0);
  });

  it('lists an entry with negative hours, no customer or an unknown project in the sync errors, and syncs the rest', async () => {
    const negative = sandbox.account.addTimeEntry({ hoursWorked: -2 });
    const orphan = sandbox.account.addTimeEntry({ onProject: false, ticketID: STRAY.ticket.id });
    const unknownProject = sandbox.account.addTimeEntry({ taskID: STRAY.task.id });
    const nowhere = sandbox.account.addTimeEntry({ taskID: null, ticketID: null });
    // Project Manager: 97.50/h in the sandbox's roles; 10 h on Fabrikam's project.
    const good = sandbox.account.addTimeEntry({ company: 1, hours: 10, roleID: 13 });
    // On Fabrikam's Time & Materials contract, whose own Engineer rate (120/h) overrides the role's 150/h.
    const contractRated = sandbox.account.addTimeEntry({ company: 1, hours: 4, roleID: 11, contractID: TM_CONTRACT.id });
    const result = await sync(connectionId);
    expect(result.errors).toBe(4);
    const errors = await hub.ctx.db.selectFrom('psa_sync_errors').selectAll().where('connection_id', '=', connectionId).orderBy('entry_id').execute();
    const byEntry = Object.fromEntries(errors.map((e) => [e.entry_id, (e.problems as { field: string }[]).map((p) => p.field)]));
    expect(byEntry).toEqual({
      [String(negative.id)]: ['hoursWorked'],
      [String(orphan.id)]: ['companyID'],
      [String(unknownProject.id)]: ['projectID'],
      [String(nowhere.id)]: ['ticketID'],
    });
    expect((await current(connectionId)).find((l) => l.entry_id === String(good.id))).toMatchObject({
      customer_id: customers.get(1002)!.customerId,
      cost_node_id: customers.get(1002)!.projectNodeId,
      hours_worked: '10',
      hours_billable: '10',
      rate: '97.5',
      rate_source: 'role',
      work_role: 'Project Manager',
      member: 'jsmith',
    });
    expect((await current(connectionId)).find((l) => l.entry_id === String(contractRated.id))).toMatchObject({ rate: String(TM_CONTRACT.rates[0].contractHourlyRate), rate_source: 'agreement' });

    const listed = await hub.app.inject({ method: 'GET', url: `/v1/psa-sync-errors?connectionId=${connectionId}`, headers: hub.auth(hub.keys.auditor) });
    expect(listed.statusCode, listed.body).toBe(200);
    const negativeListed = listed.json().items.find((e: { entryId: string }) => e.entryId === String(negative.id));
    expect(negativeListed.problems).toEqual([{ field: 'hoursWorked', reason: 'must not be negative (got -2)' }]);

    // Fixed in the PSA, the entry syncs and its error is cleared.
    sandbox.account.editTimeEntry(negative.id as number, { hoursWorked: 2 });
    await sync(connectionId);
    const left = await hub.ctx.db.selectFrom('psa_sync_errors').select('entry_id').where('connection_id', '=', connectionId).execute();
    expect(left.map((e) => e.entry_id).sort()).toEqual([String(orphan.id), String(unknownProject.id), String(nowhere.id)].sort());
  });

  it('pages across 2,500 entries losing none, fetching each page once, and retries a page answered 429', async () => {
    const id = await connectAutotask(hub, big, 'Big Autotask');
    big.setThrottle({ everyNth: 2 });
    const result = await sync(id);
    big.setThrottle({});
    expect(result.done).toBe(true);
    expect(result.fetched).toBe(2500);
    expect(await current(id)).toHaveLength(2500);
    const stats = big.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    // 5 pages of 500 time entries and 5 of the deletion sweep, chained by nextPageUrl, each answered once.
    const timePages = Object.entries(stats.pages).filter(([key]) => key.startsWith('TimeEntries|'));
    expect(timePages).toHaveLength(10);
    expect(Object.values(stats.pages).every((n) => n === 1)).toBe(true);
  }, 60_000);

  it('resumes after a worker killed mid-sync and ends with the same lines as an uninterrupted sync', async () => {
    const interrupted = await connectAutotask(hub, big, 'Interrupted');
    await expect(sync(interrupted, { pageSize: 500, beforeSave: (page) => { if (page === 3) throw new Error('worker killed'); } })).rejects.toThrow('worker killed');
    expect(await current(interrupted)).toHaveLength(1000);
    const resumed = await sync(interrupted, { pageSize: 500 });
    expect(resumed.pages).toBe(3);
    const clean = await connectAutotask(hub, big, 'Clean');
    await sync(clean, { pageSize: 500 });
    const shape = (rows: Awaited<ReturnType<typeof linesOf>>) => rows.map((r) => [r.entry_id, r.version, r.status, r.customer_id, r.cost_node_id, r.hours_worked, r.hours_billable, r.rate, r.fingerprint]);
    expect(shape(await linesOf(interrupted))).toEqual(shape(await linesOf(clean)));
    expect(await linesOf(clean)).toHaveLength(2500);
  }, 60_000);

  it('keeps at most 3 requests in flight per endpoint, where Autotask refuses a 4th', async () => {
    big.setLatency(40);
    const id = await connectAutotask(hub, big, 'Threads');
    // Unlimited, 5 at once: the sandbox refuses what Autotask's thread limit would.
    const headers = { ApiIntegrationCode: big.credentials.integrationCode, UserName: big.credentials.username, Secret: big.credentials.secret, 'content-type': 'application/json' };
    const raw = await Promise.all(Array.from({ length: 5 }, () => fetch(`${big.url}/ATServicesRest/V1.0/Roles/query`, { method: 'POST', headers, body: JSON.stringify({ filter: [{ op: 'gte', field: 'id', value: 0 }] }) })));
    expect(raw.map((r) => r.status).sort()).toEqual([200, 200, 200, 429, 429]);
    expect(big.stats().threadRejections).toBe(2);
    // Through the hub's client, 9 at once on one endpoint: 3 in flight at most, none refused.
    const { client } = await autotaskClientFor(hub.ctx, id, { sleep: noWait });
    await Promise.all(Array.from({ length: 9 }, (_, i) => client.page('Tickets', { filter: gte('id', 400 + i), maxRecords: 1 })));
    big.setLatency(0);
    expect(big.stats().threadRejections).toBe(2);
    expect(big.stats().maxInFlight).toBe(3);
  });

  it('refuses a page size over Autotask’s 500', async () => {
    await expect(sync(connectionId, { pageSize: 501 })).rejects.toThrow(/MaxRecords must be 1 to 500/);
  });
});
