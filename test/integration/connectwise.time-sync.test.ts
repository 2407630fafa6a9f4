import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectwiseClientFor } from '../../src/jobs/connectwise/client-for-connection.ts';
import { syncConnectWiseTime } from '../../src/jobs/connectwise/time-sync.ts';
import { enqueueTimeSync } from '../../src/jobs/connectwise/time-sync.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { COMPANIES, PROJECTS, startConnectWiseSandbox, type ConnectWiseSandbox } from '../../src/sandbox/connectwise/index.ts';
import { connectConnectWise, linkSandboxCompanies } from '../helpers/connectwise.ts';
import { currentLabourLines, labourLinesOf } from '../helpers/psa.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
let sandbox: ConnectWiseSandbox;
let big: ConnectWiseSandbox;
let connectionId = '';
let customers: Awaited<ReturnType<typeof linkSandboxCompanies>>;

beforeAll(async () => {
  hub = await createTestHub();
  sandbox = await startConnectWiseSandbox({ timeEntries: 30 });
  big = await startConnectWiseSandbox({ timeEntries: 2500, seed: 'big' });
  connectionId = await connectConnectWise(hub, sandbox);
  customers = await linkSandboxCompanies(hub, COMPANIES, PROJECTS);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
  await big?.close();
});

const noWait = async () => {};
const sync = async (id: string, options: Parameters<typeof syncConnectWiseTime>[2] = {}) =>
  syncConnectWiseTime({ connectionId: id }, hub.ctx, { client: (await connectwiseClientFor(hub.ctx, id, { sleep: noWait })).client, ...options });
const linesOf = (id: string) => labourLinesOf(hub, id);
const current = (id: string) => currentLabourLines(hub, id);

describe('ConnectWise incremental time-entry sync', () => {
  it('stores every entry as a labour line on its customer and project, through the worker', async () => {
    await enqueueTimeSync(hub.ctx, connectionId);
    await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx) });
    const lines = await current(connectionId);
    expect(lines).toHaveLength(30);
    for (const line of lines) {
      // The vendor's own record is the expectation: the sandbox's entry with that id.
      const entry = sandbox.account.entries.get(Number(line.entry_id))!;
      const company = (entry.company as { id: number }).id;
      expect(line.customer_id).toBe(customers.get(company)!.customerId);
      expect(line.cost_node_id).toBe(entry.project ? customers.get(company)!.projectNodeId : null);
      expect(line.hours_worked).toBe(String(entry.actualHours));
      expect(line.billable).toBe(entry.billableOption === 'Billable');
      expect(line.hours_billable).toBe(entry.billableOption === 'Billable' ? String(entry.actualHours) : '0');
      expect(line.rate).toBe(String(entry.hourlyRate));
      expect(line.work_date).toBe(String(entry.timeStart).slice(0, 10));
      expect(line.version).toBe(1);
    }
  });

  it('picks up only changed entries; an edit supersedes the old version and a deletion is marked', async () => {
    sandbox.account.editTimeEntry(10005, { actualHours: 7.5, hoursBilled: 7.5, billableOption: 'Billable', hourlyRate: 150 });
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
    const deleted = (await linesOf(connectionId)).filter((l) => l.entry_id === '10006');
    expect(deleted.map((d) => d.status)).toEqual(['deleted']);

    const again = await sync(connectionId);
    expect(again.changed).toBe(0);
  });

  it('puts an entry with negative hours, no customer or an unknown project code in the sync errors, and syncs the rest', async () => {
    const negative = sandbox.account.addTimeEntry({ hours: 1, actualHours: -2 });
    const orphan = sandbox.account.addTimeEntry({ company: { id: 999, identifier: 'Nobody', name: 'Nobody Inc' } });
    const unknownProject = sandbox.account.addTimeEntry({ project: { id: 399, name: 'Secret project' } });
    const good = sandbox.account.addTimeEntry({ companyId: 251, hours: 10, hourlyRate: 150 });
    // No rate on the entry: its work role's (Senior Engineer, 185/h in the sandbox) is used.
    const roleRated = sandbox.account.addTimeEntry({ companyId: 252, hours: 2, hourlyRate: null, workRole: { id: 2, name: 'Senior Engineer' } });
    const result = await sync(connectionId);
    expect(result.errors).toBe(3);
    const errors = await hub.ctx.db.selectFrom('psa_sync_errors').selectAll().where('connection_id', '=', connectionId).orderBy('entry_id').execute();
    const byEntry = Object.fromEntries(errors.map((e) => [e.entry_id, (e.problems as { field: string }[]).map((p) => p.field)]));
    expect(byEntry).toEqual({ [String(negative.id)]: ['actualHours'], [String(orphan.id)]: ['company'], [String(unknownProject.id)]: ['project'] });
    const stored = (await current(connectionId)).find((l) => l.entry_id === String(good.id));
    expect(stored).toMatchObject({ hours_worked: '10', hours_billable: '10', rate: '150', rate_source: 'entry', billable: true });
    expect((await current(connectionId)).find((l) => l.entry_id === String(roleRated.id))).toMatchObject({ rate: '185', rate_source: 'role' });

    // Fixed in the PSA, the entry syncs and its error is cleared.
    sandbox.account.editTimeEntry(negative.id as number, { actualHours: 2 });
    await sync(connectionId);
    const left = await hub.ctx.db.selectFrom('psa_sync_errors').select('entry_id').where('connection_id', '=', connectionId).execute();
    expect(left.map((e) => e.entry_id).sort()).toEqual([String(orphan.id), String(unknownProject.id)].sort());
  });

  it('prices an entry without a rate by its work role, else by its agreement’s work role, and lists a billable one with neither', async () => {
    // Sandbox rates: Senior Engineer 185/h; agreement 501 (company 250) names Senior Engineer as its work role.
    const byRole = sandbox.account.addTimeEntry({ companyId: 250, hours: 1, hourlyRate: null, workRole: { id: 2, name: 'Senior Engineer' }, agreement: { id: 501, name: 'Managed Microsoft 365' } });
    const byAgreement = sandbox.account.addTimeEntry({ companyId: 250, hours: 3, hourlyRate: null, workRole: null, agreement: { id: 501, name: 'Managed Microsoft 365' } });
    const unpriced = sandbox.account.addTimeEntry({ companyId: 250, hours: 2, hourlyRate: null, workRole: null });
    await sync(connectionId);
    const lines = await current(connectionId);
    expect(lines.find((l) => l.entry_id === String(byRole.id))).toMatchObject({ rate: '185', rate_source: 'role' });
    expect(lines.find((l) => l.entry_id === String(byAgreement.id))).toMatchObject({ rate: '185', rate_source: 'agreement', hours_billable: '3' });
    expect(lines.find((l) => l.entry_id === String(unpriced.id))).toBeUndefined();
    const error = await hub.ctx.db.selectFrom('psa_sync_errors').select('problems').where('connection_id', '=', connectionId).where('entry_id', '=', String(unpriced.id)).executeTakeFirstOrThrow();
    expect(error.problems).toEqual([{ field: 'hourlyRate', reason: 'billable entry with no rate on the entry, its work role or its agreement' }]);
  });

  it('prices a month of labour per engagement from the entries’ own rates, reporting non-billable hours apart', async () => {
    const fabrikam = customers.get(251)!;
    const res = await hub.app.inject({ method: 'GET', url: `/v1/customers/${fabrikam.customerId}/labour?period=2026-11`, headers: hub.auth(hub.keys.finance) });
    expect(res.statusCode, res.body).toBe(200);
    // Independently from the vendor's records: Σ billable hours × hourly rate per engagement, rounded to the cent.
    const ofFabrikam = [...sandbox.account.entries.values()].filter((e) => (e.company as { id: number }).id === 251);
    const expected = (onProject: boolean) => {
      const mine = ofFabrikam.filter((e) => Boolean(e.project) === onProject);
      const billable = mine.filter((e) => e.billableOption === 'Billable');
      return {
        amount: billable.reduce((s, e) => s.plus(new Decimal(String(e.hoursBilled)).times(String(e.hourlyRate))), new Decimal(0)).toFixed(2),
        nonBillableHours: mine.filter((e) => e.billableOption !== 'Billable').reduce((s, e) => s.plus(String(e.actualHours)), new Decimal(0)).toString(),
        entries: billable.length,
      };
    };
    const body = res.json();
    const project = body.engagements.find((e: { costNodeId: string | null }) => e.costNodeId === fabrikam.projectNodeId);
    const support = body.engagements.find((e: { costNodeId: string | null }) => e.costNodeId === null);
    expect([project.amount, project.nonBillableHours, project.billableEntries.length]).toEqual(Object.values(expected(true)));
    expect([support.amount, support.nonBillableHours, support.billableEntries.length]).toEqual(Object.values(expected(false)));
    // The 10 h entry added at 150/h is on the project, and its lineage names it.
    const tenHours = ofFabrikam.find((e) => e.actualHours === 10 && e.hourlyRate === 150)!;
    expect(project.billableEntries).toContainEqual({ system: 'connectwise', entryId: String(tenHours.id), version: 1 });
    expect(new Decimal(body.total).equals(new Decimal(project.amount).plus(support.amount))).toBe(true);
  });

  it('pages across 2,500 entries losing none, fetching each page once, and retries a page answered 429', async () => {
    const id = await connectConnectWise(hub, big, 'Big PSA');
    big.setThrottle({ everyNth: 2, everyNthRetryAfterSeconds: 1 });
    const result = await sync(id);
    big.setThrottle({});
    expect(result.done).toBe(true);
    expect(result.fetched).toBe(2500);
    expect(await current(id)).toHaveLength(2500);
    const stats = big.stats();
    expect(stats.throttled).toBeGreaterThan(0);
    // 3 pages of time entries (1,000 + 1,000 + 500) and 3 of the deletion sweep, each answered once.
    expect(Object.values(stats.pages)).toEqual([1, 1, 1, 1, 1, 1]);
  }, 60_000);

  it('resumes after a worker killed mid-sync and ends with the same lines as an uninterrupted sync', async () => {
    const interrupted = await connectConnectWise(hub, big, 'Interrupted');
    await expect(sync(interrupted, { pageSize: 500, beforeSave: (page) => { if (page === 3) throw new Error('worker killed'); } })).rejects.toThrow('worker killed');
    expect(await current(interrupted)).toHaveLength(1000);
    const resumed = await sync(interrupted, { pageSize: 500 });
    expect(resumed.pages).toBe(3);
    const clean = await connectConnectWise(hub, big, 'Clean');
    await sync(clean, { pageSize: 500 });
    const shape = (rows: Awaited<ReturnType<typeof linesOf>>) => rows.map((r) => [r.entry_id, r.version, r.status, r.customer_id, r.cost_node_id, r.hours_worked, r.hours_billable, r.rate, r.fingerprint]);
    expect(shape(await linesOf(interrupted))).toEqual(shape(await linesOf(clean)));
    expect(await linesOf(clean)).toHaveLength(2500);
  }, 60_000);

  it('refuses a page size over ConnectWise’s 1,000', async () => {
    await expect(sync(connectionId, { pageSize: 1001 })).rejects.toThrow(/pageSize must be 1 to 1000/);
  });
});
