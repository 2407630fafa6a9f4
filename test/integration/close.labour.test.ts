import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { csvRecords } from '../unit/documents/helpers.ts';

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
// After entry 501 is edited to 8 h (version 2): Migration 8 × 150 + 243.75 = 1,443.75,
//   labour 1,593.88, invoice 2.24 + 1,593.88 = 1,596.12 (revision 2; revision 1 kept).

let hub: TestHub;
let customerId = '';
let migrationNode = '';
let connectionId = '';
const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000c7';

function send(method: 'GET' | 'POST', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

async function close(): Promise<string> {
  const run = await send('POST', '/v1/billing-runs', hub.keys.billing_ops, { period: '2026-10' });
  expect(run.statusCode, run.body).toBe(202);
  const runId = run.json().id as string;
  for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await send('GET', `/v1/billing-runs/${runId}?customers=false`, hub.keys.finance)).json().status;
  }
  return runId;
}

async function issued(): Promise<Record<string, any>> {
  const list = await send('GET', `/v1/invoices?customerId=${customerId}&period=2026-10&status=issued`, hub.keys.finance);
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

  it('an unchanged close reuses the invoice; an edited entry issues a revision and keeps the closed one', async () => {
    const first = await issued();
    await close();
    expect((await issued()).id).toBe(first.id);

    await hub.ctx.db.updateTable('labour_lines').set({ status: 'superseded', superseded_at: new Date() }).where('id', '=', ids.a1!).execute();
    const a2 = await labourLine('501', 2, { node: migrationNode, hours: '8', billable: true, rate: '150.00' });
    await close();
    const second = await issued();
    expect(second.revision).toBe(2);
    expect(second.totals).toMatchObject({ charges: '2.24', labour: '1593.88', total: '1596.12' });
    const lineage = (await send('GET', `/v1/invoices/${second.id}/lineage`, hub.keys.finance)).json();
    const migration = lineage.lines.find((l: any) => l.description.startsWith('Labour, Migration'));
    expect([...migration.sources[0].ids].sort()).toEqual([a2, ids.b].sort());

    const old = (await send('GET', `/v1/invoices/${first.id}`, hub.keys.finance)).json();
    expect(old).toMatchObject({ status: 'superseded', supersededBy: second.id });
    expect(old.totals.total).toBe('1896.12');
  }, 120_000);

  it('closes a customer that has only labour, and holds its invoice, naming why, when the rates are in another currency than the card invoices in', async () => {
    // A customer with labour and no Microsoft lines at all: the run closes it for its labour.
    const created = await send('POST', '/v1/customers', hub.keys.admin, { name: 'Euro Labour Co', billingCurrency: 'EUR' });
    expect(created.statusCode, created.body).toBe(201);
    const other = created.json().id as string;
    const card = await send('POST', '/v1/rate-cards', hub.keys.admin, {
      name: 'USD card', customerId: other, currency: 'USD', effectiveFrom: '2026-09-01', justification: 'Agreed prices',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
    });
    for (const approver of [hub.keys.sales_ops, hub.keys.finance]) {
      expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {})).statusCode).toBe(200);
    }
    await labourLine('601', 1, { node: null, hours: '4', billable: true, rate: '100.00' }, other);
    const runId = await close();
    const row = await hub.ctx.db.selectFrom('billing_run_customers').select(['outcome', 'invoice_id', 'problems']).where('billing_run_id', '=', runId).where('customer_id', '=', other).executeTakeFirstOrThrow();
    expect(row.outcome).toBe('unpriced');
    expect(row.invoice_id).toBeNull();
    expect(row.problems).toEqual([{ reason: "billable PSA labour is priced in the customer's billing currency EUR, but the rate card invoices in USD" }]);
  }, 120_000);
});
