import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { csvRecords } from '../unit/documents/helpers.ts';
import { markMissingDeleted, saveMappedEntries } from '../../src/db/labour-lines.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import type { LabourLine } from '../../src/mappings/psa/labour-line.ts';

// Combined invoices: a customer's ConnectWise labour for October 2026 billed on the same
// invoice as its Microsoft usage, through the real API and worker. The labour lines are
// stored as the time sync stores them (its own tests cover the sync).
//
// Hand-checked figures (USD, card: cost + 15 %, rounded per line, half up):
//   usage: Microsoft's 1.95 × 1.15 = 2.2425                       → 2.24
//   engagement "Migration" (project node):
//     entry 501 v1: 10 h × 150.00 = 1,500.00
//     entry 502:   2.5 h ×  97.50 =   243.75                      → 1,743.75
//     entry 504:   3 h, not billable: reported, not invoiced
//   outside any project: entry 503: 1.25 h × 120.10 = 150.125    →   150.13
//   labour 1,743.75 + 150.13 = 1,893.88; invoice 2.24 + 1,893.88 = 1,896.12
// Entry 501 edited to 8 h after October closed: October's invoice stays 1,896.12 (a re-run
//   reuses it); November carries 'Late labour (2026-10)': 8 × 150 − 10 × 150 = −300.00.
// Entry 503 deleted in ConnectWise after the close: November also takes back 1.25 × 120.10
//   = 150.125 → −150.13 (half up, away from zero); November's total −450.13.

let hub: TestHub;
let customerId = '';
let migrationNode = '';
let connectionId = '';
const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000c7';

function send(method: 'GET' | 'POST', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

async function close(period = '2026-10'): Promise<string> {
  const run = await send('POST', '/v1/billing-runs', hub.keys.billing_ops, { period });
  expect(run.statusCode, run.body).toBe(202);
  const runId = run.json().id as string;
  for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await send('GET', `/v1/billing-runs/${runId}?customers=false`, hub.keys.finance)).json().status;
  }
  return runId;
}

async function issued(period = '2026-10'): Promise<Record<string, any>> {
  const list = await send('GET', `/v1/invoices?customerId=${customerId}&period=${period}&status=issued`, hub.keys.finance);
  expect(list.json().items).toHaveLength(1);
  return (await send('GET', `/v1/invoices/${list.json().items[0].id}`, hub.keys.finance)).json();
}

async function labourLine(entryId: string, version: number, fields: { node: string | null; hours: string; billable: boolean; rate: string | null }, customer = customerId): Promise<string> {
  const row = await hub.ctx.db
    .insertInto('labour_lines')
    .values({
      connection_id: connectionId,
      system: 'connectwise',
      entry_id: entryId,
      version,
      customer_id: customer,
      cost_node_id: fields.node,
      member: 'jdoe',
      work_date: '2026-10-14',
      hours_worked: fields.hours,
      hours_billable: fields.billable ? fields.hours : '0',
      billable: fields.billable,
      rate: fields.rate,
      rate_source: fields.rate === null ? null : 'entry',
      vendor_updated_at: new Date('2026-10-15T00:00:00Z'),
      fingerprint: `${entryId}v${version}`,
      source: JSON.stringify({ id: Number(entryId) }),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A customer with no Microsoft lines and an approved USD card (cost + 15 %) from September. */
async function customerWithUsdCard(name: string, billingCurrency: string): Promise<string> {
  const created = await send('POST', '/v1/customers', hub.keys.admin, { name, billingCurrency });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  const card = await send('POST', '/v1/rate-cards', hub.keys.admin, {
    name: `${name} card`, customerId: id, currency: 'USD', effectiveFrom: '2026-09-01', justification: 'Agreed prices',
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
  });
  for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
    expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {})).statusCode).toBe(200);
  }
  return id;
}

/** A time entry as the ConnectWise mapping hands it to the sync's store. */
function entry(entryId: string, node: string | null, hours: string, rate: string): LabourLine {
  return {
    entryId,
    customerId,
    costNodeId: node,
    projectCode: node ? '77' : null,
    ticketId: null,
    member: 'jdoe',
    workType: null,
    workRole: null,
    workDate: '2026-10-14',
    hoursWorked: new Decimal(hours),
    hoursBillable: new Decimal(hours),
    billable: true,
    rate: new Decimal(rate),
    rateSource: 'entry',
    vendorUpdatedAt: new Date('2026-10-15T00:00:00Z'),
    source: { id: Number(entryId) },
  };
}

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  await ingestUsageRecords(hub.database, [usageRecord({ CustomerId: TENANT, CustomerName: 'Labour Co' })]);
  customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', TENANT).executeTakeFirstOrThrow()).entity_id;
  const node = await send('POST', `/v1/customers/${customerId}/cost-nodes`, hub.keys.admin, { name: 'Migration', kind: 'project', psaProjectCode: '77' });
  expect(node.statusCode, node.body).toBe(201);
  migrationNode = node.json().id;
  const card = await send('POST', '/v1/rate-cards', hub.keys.admin, {
    name: 'Card',
    customerId,
    currency: 'USD',
    effectiveFrom: '2026-09-01',
    justification: 'Agreed prices',
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
  });
  expect(card.statusCode, card.body).toBe(201);
  for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
    expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {})).statusCode).toBe(200);
  }
  connectionId = (
    await hub.ctx.db.insertInto('connections').values({ provider: 'connectwise', name: 'PSA', credentials_encrypted: 'unused' }).returning('id').executeTakeFirstOrThrow()
  ).id;
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('combined invoice: Microsoft usage and PSA labour', () => {
  const ids: Record<string, string> = {};

  it('bills billable labour per engagement on the Microsoft invoice, to the cent', async () => {
    ids.a1 = await labourLine('501', 1, { node: migrationNode, hours: '10', billable: true, rate: '150.00' });
    ids.b = await labourLine('502', 1, { node: migrationNode, hours: '2.5', billable: true, rate: '97.50' });
    ids.c = await labourLine('503', 1, { node: null, hours: '1.25', billable: true, rate: '120.10' });
    ids.d = await labourLine('504', 1, { node: migrationNode, hours: '3', billable: false, rate: null });
    await close();
    const invoice = await issued();
    expect(invoice.revision).toBe(1);
    expect(invoice.totals).toMatchObject({ charges: '2.24', labour: '1893.88', minimum: '0.00', total: '1896.12' });
    const labour = invoice.lines.filter((l: any) => l.kind === 'labour').map((l: any) => [l.description, l.quantity, l.amount]);
    expect(labour).toEqual([
      ['Labour, Migration: 12.5 h', '12.5', '1743.75'],
      ['Labour, outside any project: 1.25 h', '1.25', '150.13'],
    ]);
    const byNode = Object.fromEntries(invoice.subtotalsByCostNode.map((n: any) => [n.name, n.amount]));
    expect(byNode.Migration).toBe('1743.75');

    // Lineage: the Migration line traces the two billed entry versions, not the non-billable one.
    const lineage = (await send('GET', `/v1/invoices/${invoice.id}/lineage`, hub.keys.finance)).json();
    const migration = lineage.lines.find((l: any) => l.description.startsWith('Labour, Migration'));
    expect(migration.sources).toHaveLength(1);
    expect(migration.sources[0].kind).toBe('labour');
    expect([...migration.sources[0].ids].sort()).toEqual([ids.a1, ids.b].sort());
    expect(migration.sources[0].price).toBe('1743.75');

    // The non-billable hours are reported with the invoice (staff view), never charged.
    const stored = await hub.ctx.db.selectFrom('invoices').select(['labour', 'labour_total']).where('id', '=', invoice.id).executeTakeFirstOrThrow();
    expect(stored.labour_total).toBe('1893.88');
    expect(invoice.labour).toEqual(stored.labour);
    const report = invoice.labour;
    const migrationReport = report.engagements.find((e: any) => e.costNodeId === migrationNode);
    expect(migrationReport).toMatchObject({ billableHours: '12.5', nonBillableHours: '3', amount: '1743.75' });
    expect(migrationReport.nonBillableEntries).toEqual([{ labourLineId: ids.d, system: 'connectwise', entryId: '504', version: 1 }]);
    expect(migrationReport.billableEntries.map((e: any) => `${e.entryId}v${e.version}`).sort()).toEqual(['501v1', '502v1']);
  }, 120_000);

  it('the stored invoice renders: labour and infrastructure per engagement, with their subtotals', async () => {
    const invoice = await issued();
    for (const format of ['detailed', 'summary']) {
      const csv = await send('GET', `/v1/invoices/${invoice.id}/document?format=${format}&type=csv`, hub.keys.finance);
      expect(csv.statusCode, csv.body).toBe(200);
      const records = csvRecords(csv.body);
      const pick = (section: string) => records.filter((r) => r.section === section).map((r) => [r.cost_node, r.amount]);
      expect(pick('labour')).toEqual([
        ['Migration', '1743.75'],
        ['Unallocated', '150.13'],
      ]);
      expect(pick('engagement_labour')).toEqual([
        ['Migration', '1743.75'],
        ['Unallocated', '150.13'],
      ]);
      expect(pick('engagement_infrastructure')).toEqual([
        ['Migration', '0.00'],
        ['Unallocated', '2.24'],
      ]);
      expect(records.find((r) => r.row_type === 'total')?.amount).toBe('1896.12');
    }
    const html = await send('GET', `/v1/invoices/${invoice.id}/document?format=summary&type=html`, hub.keys.finance);
    expect(html.statusCode).toBe(200);
    expect(html.body).toContain('By engagement');
    expect(html.body).toContain('1,896.12');
  }, 120_000);

  it('an unchanged close reuses the invoice; an entry edited after the close is a late-labour adjustment on the next invoice, the closed one untouched', async () => {
    const first = await issued();
    await close();
    expect((await issued()).id).toBe(first.id);
    const closed = await hub.ctx.db.selectFrom('billing_periods').select('status').where('period', '=', '2026-10').executeTakeFirstOrThrow();
    expect(closed.status).toBe('closed');

    // The sync stores ConnectWise's edit of entry 501 (10 h → 8 h) after October closed.
    const edited = { ...entry('501', migrationNode, '8', '150.00'), vendorUpdatedAt: new Date('2026-11-03T09:00:00Z') };
    await hub.ctx.db.transaction().execute((trx) => saveMappedEntries(trx, connectionId, 'connectwise', [{ ok: true, line: edited }]));
    const a2 = (await hub.ctx.db.selectFrom('labour_lines').select(['id', 'late_period', 'supersedes_id']).where('entry_id', '=', '501').where('version', '=', 2).executeTakeFirstOrThrow());
    expect(a2).toMatchObject({ late_period: '2026-10', supersedes_id: ids.a1 });

    // October again: the same invoice, revision 1, 1,896.12.
    await close();
    const still = await issued();
    expect(still).toMatchObject({ id: first.id, revision: 1 });
    expect(still.totals.total).toBe('1896.12');

    // Entry 503 disappears from ConnectWise: the billed version stays, a deletion version supersedes it.
    const deleted = await hub.ctx.db.transaction().execute((trx) => markMissingDeleted(trx, connectionId, '2026-10-01', ['501', '502', '504']));
    expect(deleted).toBe(1);
    expect((await close()) && (await issued()).id).toBe(first.id);

    // November: 8 h × 150 − 10 h × 150 = −300.00 and −1.25 h × 120.10 = −150.125 → −150.13, labelled with October.
    const novemberRun = await close('2026-11');
    const november = await issued('2026-11');
    const late = november.lines.filter((l: any) => l.kind === 'labour').map((l: any) => [l.description, l.quantity, l.amount]);
    expect(late).toEqual([
      ['Late labour (2026-10), Migration: -2 h (entry 501)', '-2', '-300.00'],
      ['Late labour (2026-10), outside any project: -1.25 h (entry 503)', '-1.25', '-150.13'],
    ]);
    expect(november.totals).toMatchObject({ charges: '0.00', labour: '-450.13', total: '-450.13' });
    const lineage = (await send('GET', `/v1/invoices/${november.id}/lineage`, hub.keys.finance)).json();
    const sources = lineage.lines.find((l: any) => l.description.includes('Migration')).sources.map((x: any) => [x.kind, x.ids, x.allocation.amount]);
    expect(sources.sort()).toEqual([
      ['labour', [a2.id], '1200'],
      ['labour_reversal', [ids.a1], '-1500'],
    ]);
    const picked = await hub.ctx.db.selectFrom('labour_lines').select('picked_up_by_run').where('id', '=', a2.id).executeTakeFirstOrThrow();
    expect(picked.picked_up_by_run).toBe(novemberRun);
    const doc = await send('GET', `/v1/invoices/${november.id}/document?format=detailed&type=csv`, hub.keys.finance);
    expect(doc.statusCode, doc.body).toBe(200);
    expect(csvRecords(doc.body).find((r) => r.row_type === 'total')?.amount).toBe('-450.13');
    // A re-run of November bills the same change once, on the same invoice.
    await close('2026-11');
    expect((await issued('2026-11')).id).toBe(november.id);

    // October's invoice is as it was.
    expect((await send('GET', `/v1/invoices/${first.id}`, hub.keys.finance)).json()).toMatchObject({ status: 'issued', revision: 1, totals: { total: '1896.12' } });
  }, 180_000);

  it('closes a customer that has only labour, and holds its invoice, naming why, when the rates are in another currency than the card invoices in', async () => {
    // A customer with labour and no Microsoft lines at all: the run closes it for its labour.
    const other = await customerWithUsdCard('Euro Labour Co', 'EUR');
    await labourLine('601', 1, { node: null, hours: '4', billable: true, rate: '100.00' }, other);
    const runId = await close();
    const row = await hub.ctx.db.selectFrom('billing_run_customers').select(['outcome', 'invoice_id', 'problems']).where('billing_run_id', '=', runId).where('customer_id', '=', other).executeTakeFirstOrThrow();
    expect(row.outcome).toBe('unpriced');
    expect(row.invoice_id).toBeNull();
    expect(row.problems).toEqual([{ reason: "billable PSA labour is priced in the customer's billing currency EUR, but the rate card invoices in USD" }]);
  }, 120_000);
  it('holds late labour above the approval threshold out of the next invoice until another finance key approves the amount', async () => {
    // A customer with September labour: entry 801, 4 h × 100.00 = 400.00, billed on September's
    // invoice. After September closed, 801 is edited to 10 h: 10 × 100.00 − 400.00 = +600.00,
    // above the default threshold of 500, for October's invoice (which has nothing else).
    const other = await customerWithUsdCard('Late Labour Co', 'USD');
    const line = (id: string, hours: string, workDate: string, updated: string): LabourLine => ({ ...entry(id, null, hours, '100.00'), customerId: other, workDate, vendorUpdatedAt: new Date(updated) });
    const save = (l: LabourLine) => hub.ctx.db.transaction().execute((trx) => saveMappedEntries(trx, connectionId, 'connectwise', [{ ok: true, line: l }]));
    await save(line('801', '4', '2026-09-14', '2026-09-15T00:00:00Z'));
    await close('2026-09');
    await save(line('801', '10', '2026-09-14', '2026-10-20T00:00:00Z'));
    const late = await hub.ctx.db.selectFrom('labour_lines').select(['id', 'late_period']).where('entry_id', '=', '801').where('version', '=', 2).executeTakeFirstOrThrow();
    expect(late.late_period).toBe('2026-09');
    const october = async () => {
      const list = (await send('GET', `/v1/invoices?customerId=${other}&period=2026-10&status=issued`, hub.keys.finance)).json().items;
      expect(list).toHaveLength(1);
      const invoice = (await send('GET', `/v1/invoices/${list[0].id}`, hub.keys.finance)).json();
      return { total: invoice.totals.total, labour: invoice.lines.filter((l: any) => l.kind === 'labour').map((l: any) => [l.description, l.amount]) };
    };
    const requests = () => hub.ctx.db.selectFrom('invoice_adjustments').selectAll().where('customer_id', '=', other).execute();

    await close();
    expect(await october()).toEqual({ total: '0.00', labour: [] });
    const pending = await requests();
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ kind: 'late_labour', period: '2026-09', amount: '600.00', currency: 'USD', status: 'pending', approval_required: true, invoice_id: null });
    const pickedUp = async () => (await hub.ctx.db.selectFrom('labour_lines').select('picked_up_by_run').where('id', '=', late.id).executeTakeFirstOrThrow()).picked_up_by_run;
    expect(await pickedUp()).toBeNull();

    // Closing again asks nothing new; the key that started the close cannot approve, another finance key can.
    await close();
    expect(await requests()).toHaveLength(1);
    expect((await send('POST', `/v1/invoice-adjustments/${pending[0]!.id}/approve`, hub.keys.billing_ops, {})).statusCode).toBe(403);
    const approved = await send('POST', `/v1/invoice-adjustments/${pending[0]!.id}/approve`, hub.keys.finance, { comment: 'Engineer logged the hours late' });
    expect(approved.statusCode, approved.body).toBe(200);

    const runId = await close();
    expect(await october()).toEqual({
      total: '600.00',
      labour: [['Late labour (2026-09), outside any project: 6 h (entry 801)', '600.00']],
    });
    expect(await pickedUp()).toBe(runId);
  }, 240_000);
});
