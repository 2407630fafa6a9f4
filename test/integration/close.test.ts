import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestSource } from '../../src/db/ingest/usage-lines.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { extractPdfText } from '../unit/documents/helpers.ts';

// The month-end close end to end: lines ingested as a sync stores them, cards approved by
// sales_ops and finance, allocation rules by tag and resource group; a real worker runs
// billing:close and billing:close_customer. Amounts are hand-checked to the cent.

let hub: TestHub;
let worker: RunningWorker;

const TENANT = { a: 'a1b2c3d4-0000-4000-8000-00000000000a', b: 'a1b2c3d4-0000-4000-8000-00000000000b', c: 'a1b2c3d4-0000-4000-8000-00000000000c', d: 'a1b2c3d4-0000-4000-8000-00000000000d' };
const ids = { a: '', b: '', c: '', d: '' };
const nodes = { web: '', finance: '', ops: '', unallocated: '' };
let cardA = '';
const SOURCE: IngestSource = { source: 'billed_export', connectionId: null, syncRunId: null, importId: null };

function ingestUsage(records: Record<string, unknown>[]): Promise<void> {
  return ingestUsageRecords(hub.database, records, SOURCE);
}

function ingestLicenses(records: Record<string, unknown>[]): Promise<void> {
  return ingestLicenseRecords(hub.database, records);
}

function send(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: unknown, key = hub.keys.admin, headers: Record<string, string> = {}) {
  return hub.app.inject({ method, url, headers: { ...hub.auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

async function approvedCard(body: Record<string, unknown>): Promise<string> {
  const res = await send('POST', '/v1/rate-cards', { name: 'Card', effectiveFrom: '2026-09-01', justification: 'Agreed prices', ...body });
  expect(res.statusCode, res.body).toBe(201);
  const id = res.json().id as string;
  expect((await send('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, hub.keys.sales_ops)).statusCode).toBe(200);
  expect((await send('POST', `/v1/rate-cards/${id}/versions/1/approve`, {}, hub.keys.finance)).statusCode).toBe(200);
  return id;
}

async function close(period: string, idempotencyKey?: string): Promise<Record<string, any>> {
  const res = await send('POST', '/v1/billing-runs', { period }, hub.keys.billing_ops, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
  expect(res.statusCode, res.body).toBe(202);
  return waitForBillingRun(res.json().id);
}

async function waitForBillingRun(runId: string, timeoutMs = 60_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Polls as a client would, without the customer list; the finished run is read whole.
    const run = (await send('GET', `/v1/billing-runs/${runId}?customers=false`, undefined, hub.keys.finance)).json();
    if (['succeeded', 'partial', 'failed'].includes(run.status)) return (await send('GET', `/v1/billing-runs/${runId}`, undefined, hub.keys.finance)).json();
    if (Date.now() > deadline) throw new Error(`billing run ${runId} still ${run.status}: ${JSON.stringify(run.progress)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function invoiceOf(customerId: string, period: string): Promise<Record<string, any>> {
  const list = await send('GET', `/v1/invoices?customerId=${customerId}&period=${period}&status=issued`, undefined, hub.keys.finance);
  expect(list.statusCode, list.body).toBe(200);
  expect(list.json().items).toHaveLength(1);
  const res = await send('GET', `/v1/invoices/${list.json().items[0].id}`, undefined, hub.keys.finance);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

function expectTotalsAddUp(invoice: Record<string, any>): void {
  const lines = invoice.lines as Array<{ amount: string }>;
  const total = lines.reduce((s, l) => s.plus(l.amount), new Decimal(0));
  expect(total.equals(invoice.totals.total), `${invoice.number}: Σ lines ${total.toString()} ≠ total ${invoice.totals.total}`).toBe(true);
  const parts = ['charges', 'adjustments', 'labour', 'minimum', 'rounding'].reduce((s, k) => s.plus(invoice.totals[k]), new Decimal(0));
  expect(parts.equals(invoice.totals.total)).toBe(true);
  const places = invoice.rounding.places as number;
  for (const l of lines) expect(new Decimal(l.amount).decimalPlaces()).toBeLessThanOrEqual(places);
}

const a = (o: Record<string, unknown> = {}) => usageRecord({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', ...o });
const storage = {
  MeterCategory: 'Storage',
  MeterId: 'storage-meter-1',
  MeterName: 'LRS Data Stored',
  ResourceGroup: 'rg-data',
  ResourceURI: '/subscriptions/ent-1/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/data01',
  Tags: '{}',
  UnitPrice: '0.02',
  EffectiveUnitPrice: '0.02',
  Quantity: '50',
  BillingPreTaxTotal: '1.00',
  PricingPreTaxTotal: '1.00',
};

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });

  // September: one line for Fabrikam (closed first; late lines for it arrive afterwards).
  await ingestUsage([a({ UsageDate: '9/15/2026 0:00', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59' })]);
  // October.
  await ingestUsage([
    a({ UsageDate: '10/3/2026 0:00' }), // 1.95 → 2.24 (compute 15 %)
    a({ UsageDate: '10/4/2026 0:00', Quantity: '100', BillingPreTaxTotal: '8.16' }), // 8.16 → 9.384 → 9.38
    a({ UsageDate: '10/5/2026 0:00', ...storage }), // storage, default 10 %: 1.00 → 1.10, split 60/40 by resource group
    a({ UsageDate: '10/6/2026 0:00', BillingPreTaxTotal: '5.00' }), // Microsoft says 5.00, the formula 1.95: a discrepancy; priced from 5.00 → 5.75
    usageRecord({ CustomerId: TENANT.b, CustomerName: 'Contoso KK', BillingCurrency: 'JPY', PCToBCExchangeRate: '150', BillingPreTaxTotal: '293.76' }),
    usageRecord({ CustomerId: TENANT.c, CustomerName: 'Gulf Trading WLL' }),
    usageRecord({ CustomerId: TENANT.c, CustomerName: 'Gulf Trading WLL', UsageDate: '10/4/2026 0:00', Quantity: '100', BillingPreTaxTotal: '8.16' }),
    usageRecord({ CustomerId: TENANT.c, CustomerName: 'Gulf Trading WLL', UsageDate: '10/5/2026 0:00', ...storage }),
    usageRecord({ CustomerId: TENANT.d, CustomerName: 'No Card Ltd' }),
  ]);
  // 15 seats of Microsoft 365 Business Standard, 29 of a 31-day cycle: Subtotal 11.22 × 15 = 168.30.
  await ingestLicenses([licenseRecord({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', Currency: 'USD', PricingCurrency: 'USD', PCToBCExchangeRate: '1', Subtotal: '168.30', TotalForCustomer: '168.30' })]);

  const customers = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  for (const key of ['a', 'b', 'c', 'd'] as const) ids[key] = customers.find((c) => c.external_id === TENANT[key])!.entity_id;

  nodes.web = (await send('POST', `/v1/customers/${ids.a}/cost-nodes`, { name: 'Web' })).json().id;
  nodes.finance = (await send('POST', `/v1/customers/${ids.a}/cost-nodes`, { name: 'Finance' })).json().id;
  nodes.ops = (await send('POST', `/v1/customers/${ids.a}/cost-nodes`, { name: 'Operations' })).json().id;
  nodes.unallocated = (await hub.ctx.db.selectFrom('cost_nodes').select('id').where('customer_id', '=', ids.a).where('kind', '=', 'unallocated').executeTakeFirstOrThrow()).id;
  const rule = (body: Record<string, unknown>) => send('POST', `/v1/customers/${ids.a}/allocation-rules`, { justification: 'Agreed with the client', effectiveFrom: '2026-01-01', ...body }, hub.keys.billing_ops);
  expect((await rule({ priority: 1, match: { tag: { key: 'project', value: 'web' } }, splits: [{ costNodeId: nodes.web, percent: '100' }] })).statusCode).toBe(201);
  expect((await rule({ priority: 2, match: { resourceGroup: 'rg-data' }, splits: [{ costNodeId: nodes.finance, percent: '60' }, { costNodeId: nodes.ops, percent: '40' }] })).statusCode).toBe(201);

  cardA = await approvedCard({
    customerId: ids.a,
    currency: 'USD',
    rounding: { scope: 'line', mode: 'half_up' },
    minimumMonthly: '100.00',
    targetMarginPercent: '13',
    rules: [
      { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
      { match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: '14.00' },
      { match: { default: true }, basis: 'cost', markupPercent: '10' },
    ],
  });
  await approvedCard({ customerId: ids.b, currency: 'JPY', rounding: { scope: 'line', mode: 'half_up' }, minimumMonthly: '1000', rules: [{ match: { category: 'compute' }, basis: 'cost', markupPercent: '15' }] });
  await approvedCard({
    customerId: ids.c,
    currency: 'BHD',
    rounding: { scope: 'invoice', mode: 'half_even' },
    fx: { source: 'fixed', from: 'USD', rate: '0.376' },
    rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
  });
  // Gulf Trading names its required tags (keys compare case-insensitively); Fabrikam defaults to its rules' tag key 'project'.
  const tagged = await send('PATCH', `/v1/customers/${ids.c}`, { requiredTags: ['COSTCENTER'] });
  expect(tagged.statusCode, tagged.body).toBe(200);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
});

describe('the month-end close', () => {
  let september: Record<string, any>;
  let october: Record<string, any>;

  it('closes September and marks the period closed', async () => {
    september = await close('2026-09');
    expect(september.status).toBe('succeeded');
    expect(september.report.customers).toMatchObject({ total: 1, issued: 1 });
    const invoice = await invoiceOf(ids.a, '2026-09');
    // 2.24 of compute is under the 100.00 minimum: topped up.
    expect(invoice.totals).toEqual({ charges: '2.24', adjustments: '0.00', labour: '0.00', minimum: '97.76', rounding: '0.00', total: '100.00' });
    expectTotalsAddUp(invoice);
    const period = await hub.ctx.db.selectFrom('billing_periods').selectAll().where('period', '=', '2026-09').executeTakeFirstOrThrow();
    expect(period.status).toBe('closed');
  });

  it('stores lines arriving for the closed September as late', async () => {
    await ingestUsage([
      a({ UsageDate: '9/15/2026 0:00', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59', Quantity: '48', BillingPreTaxTotal: '3.91' }), // revises 1.95
      a({ UsageDate: '9/20/2026 0:00', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59', Quantity: '100', BillingPreTaxTotal: '8.16' }), // new
    ]);
    const late = await send('GET', `/v1/late-usage?customerId=${ids.a}`, undefined, hub.keys.finance);
    expect(late.json().items).toHaveLength(2);
  });

  it('closes October: one request per Idempotency-Key, a partial run when a customer has no card', async () => {
    const first = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.billing_ops, { 'idempotency-key': 'close-oct' });
    expect(first.statusCode).toBe(202);
    const replay = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.billing_ops, { 'idempotency-key': 'close-oct' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(first.json().id);
    october = await waitForBillingRun(first.json().id);
    expect(october.status).toBe('partial');
    expect(october.progress).toMatchObject({ customersDone: 4, customersTotal: 4, pendingJobs: 0 });
    expect(october.report.customers).toEqual({ total: 4, issued: 3, reused: 0, unpriced: 0, noRateCard: 1, failed: 0 });
    expect(october.report.lines).toEqual({ usage: 9, license: 1, latePickedUp: 2 });
    expect(october.report.costDiscrepancies).toBe(1);
    expect(october.report.unmappedLines).toBe(0);
    expect(october.report.held).toEqual([expect.objectContaining({ customerId: ids.d, outcome: 'no_rate_card' })]);
    const usd = october.report.totals.find((t: { currency: string }) => t.currency === 'USD');
    expect(usd).toMatchObject({ customers: 1, price: '226.57' });
    // The run froze what it priced with.
    const frozen = october.customers.find((c: { customerId: string }) => c.customerId === ids.a);
    expect(frozen.inputs.rateCard).toMatchObject({ id: cardA, version: 1 });
    expect(frozen.inputs.fx).toMatchObject({ source: 'microsoft' });
    expect(frozen.inputs.allocationRules).toHaveLength(2);
    expect(frozen.inputs.categoryMapping).toMatchObject({ id: 'hub' });
  });

  it('shows a run without its customer list for polling (?customers=false), the same progress and report otherwise', async () => {
    const light = await send('GET', `/v1/billing-runs/${october.id}?customers=false`, undefined, hub.keys.finance);
    expect(light.statusCode, light.body).toBe(200);
    const { customers, ...rest } = october;
    expect(customers).toHaveLength(4);
    expect(light.json()).toEqual(rest);
    expect(light.json()).not.toHaveProperty('customers');
    expect((await send('GET', `/v1/billing-runs/${october.id}?customers=true`, undefined, hub.keys.finance)).json()).toEqual(october);
    const bad = await send('GET', `/v1/billing-runs/${october.id}?customers=maybe`, undefined, hub.keys.finance);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/customers/);
  });

  it("reports each customer's tag compliance over October's usage cost, and a cost-weighted total per currency", async () => {
    const compliance = (id: string) => october.customers.find((c: { customerId: string }) => c.customerId === id).tagCompliance;
    // Fabrikam: no list of its own, so its allocation rules' tag key. Usage 1.95 + 8.16 + 5.00 carry project=web,
    // the 1.00 storage line no tags (late September lines and the licence are not counted): 15.11 ÷ 16.11 = 0.9379267… → 0.937927.
    expect(compliance(ids.a)).toEqual({ requiredTags: ['project'], source: 'allocation_rules', currency: 'USD', totalCost: '16.11', compliantCost: '15.11', share: '0.937927', nonCompliantLines: 1 });
    // Gulf Trading: its own list. 1.95 + 8.16 carry costCenter, the 1.00 storage line not: 10.11 ÷ 11.11 = 0.909990999… → 0.909991.
    expect(compliance(ids.c)).toEqual({ requiredTags: ['COSTCENTER'], source: 'customer', currency: 'USD', totalCost: '11.11', compliantCost: '10.11', share: '0.909991', nonCompliantLines: 1 });
    // Contoso KK: neither, so nothing to check. No Card Ltd: the same, reported although its invoice is held.
    expect(compliance(ids.b)).toEqual({ requiredTags: [], source: 'none', currency: 'JPY', totalCost: '293.76', compliantCost: null, share: null, nonCompliantLines: 0 });
    expect(compliance(ids.d)).toMatchObject({ requiredTags: [], source: 'none', totalCost: '1.95', share: null });
    // Run total, USD: (15.11 + 10.11) ÷ (16.11 + 11.11) = 25.22 ÷ 27.22 = 0.92652461… → 0.926525.
    expect(october.report.tagCompliance).toEqual([{ currency: 'USD', customers: 2, totalCost: '27.22', compliantCost: '25.22', share: '0.926525' }]);
    // Stored on the run's customer row as reported (no line ids, only their count).
    const stored = await hub.ctx.db.selectFrom('billing_run_customers').select('tag_compliance').where('billing_run_id', '=', october.id).where('customer_id', '=', ids.a).executeTakeFirstOrThrow();
    expect(stored.tag_compliance).toEqual(compliance(ids.a));
  });

  it("invoices Fabrikam's October to the cent, with the late September lines as a labelled adjustment", async () => {
    const invoice = await invoiceOf(ids.a, '2026-10');
    expect(invoice).toMatchObject({ number: `INV-2026-10-${ids.a.replace(/-/g, '').slice(0, 8).toUpperCase()}-r1`, revision: 1, status: 'issued', currency: 'USD' });
    // Rounded per invoice line: compute (1.95 + 8.16 + 5.00) × 1.15 = 17.3765 → 17.38 (per source line it
    // was 2.24 + 9.38 + 5.75 = 17.37); storage 1.10; 14.00 × 15 seats × 29/31 = 196.4516… → 196.45: 214.93.
    // Late: 3.91 × 1.15 = 4.4965, reversal of 1.95 → −2.2425, new 8.16 → 9.384: 11.638 → 11.64.
    expect(invoice.totals).toEqual({ charges: '214.93', adjustments: '11.64', labour: '0.00', minimum: '0.00', rounding: '0.00', total: '226.57' });
    expect(invoice.subtotalsByCategory).toEqual({ compute: '17.38', storage: '1.10', licenses: '196.45' });
    const byNode = Object.fromEntries(invoice.subtotalsByCostNode.map((n: { costNodeId: string; amount: string }) => [n.costNodeId, n.amount]));
    // Web 17.3765 + 11.638 = 29.0145, floored 29.01 with the largest remainder (0.0045 over 196.4516's 0.0016),
    // so the cent the floors leave over goes to it: 29.02.
    expect(byNode).toEqual({ [nodes.web]: '29.02', [nodes.finance]: '0.66', [nodes.ops]: '0.44', [nodes.unallocated]: '196.45' });
    expectTotalsAddUp(invoice);
    const adjustment = invoice.lines.filter((l: { kind: string }) => l.kind === 'adjustment');
    expect(adjustment.length).toBeGreaterThan(0);
    expect(adjustment[0].adjustment).toEqual({ id: 'late-2026-09', period: '2026-09', label: 'Late usage' });
    const late = await hub.ctx.db.selectFrom('usage_lines').select(['picked_up_by_run']).where('late', '=', true).execute();
    expect(late.map((l) => l.picked_up_by_run)).toEqual([october.id, october.id]);
    expect((await send('GET', `/v1/late-usage?customerId=${ids.a}`, undefined, hub.keys.finance)).json().items).toEqual([]);
  });

  it('keeps totals equal to the sum of lines in JPY (minimum) and BHD (fixed fx, rounded once per invoice)', async () => {
    const jpy = await invoiceOf(ids.b, '2026-10');
    // 293.76 × 1.15 = 337.824 → ¥338; minimum ¥1000 tops up ¥662.
    expect(jpy.totals).toEqual({ charges: '338', adjustments: '0', labour: '0', minimum: '662', rounding: '0', total: '1000' });
    expectTotalsAddUp(jpy);
    const bhd = await invoiceOf(ids.c, '2026-10');
    // (1.95 + 8.16) × 0.376 × 1.15 = 4.371564 → 4.372; 1.00 × 0.376 × 1.15 = 0.4324 → 0.432; total 4.803964 → 4.804.
    expect(bhd.totals.total).toBe('4.804');
    expectTotalsAddUp(bhd);
  });

  it('traces every invoice line to its source lines, rule, card version, fx and allocation', async () => {
    const invoice = await invoiceOf(ids.a, '2026-10');
    const res = await send('GET', `/v1/invoices/${invoice.id}/lineage`, undefined, hub.keys.auditor);
    expect(res.statusCode, res.body).toBe(200);
    const lineage = res.json();
    const vm = lineage.lines.find((l: { kind: string; description: string; amount: string }) => l.kind === 'charge' && l.amount === '17.38');
    expect(vm.sourceCount).toBe(3);
    expect(vm.sources).toHaveLength(1);
    const source = vm.sources[0];
    const vmIds = (await hub.ctx.db.selectFrom('usage_lines').select('id').where('customer_id', '=', ids.a).where('meter_category', '=', 'Virtual Machines').where('usage_date', '>=', '2026-10-01').orderBy('id').execute()).map((r) => String(r.id));
    expect(source).toMatchObject({ kind: 'usage', ids: vmIds, count: 3, rateCard: { id: cardA, version: 1 }, rule: { basis: 'cost', markupPercent: '15', unitPrice: null } });
    expect(source.costFx).toMatchObject({ source: 'identity', rate: '1' });
    // Sources keep full precision (the invoice line is what is rounded).
    expect(source.allocation).toMatchObject({ costNodeId: nodes.web, costNodeName: 'Web', percent: '100', amount: '17.3765' });
    expect(source.roundingApplied).toBe(false);
    const storageLine = lineage.lines.find((l: { amount: string }) => l.amount === '1.1');
    expect(storageLine.sources.map((s: { allocation: { costNodeId: string; percent: string; amount: string } }) => [s.allocation.costNodeId, s.allocation.percent, s.allocation.amount])).toEqual([
      [nodes.finance, '60', '0.66'],
      [nodes.ops, '40', '0.44'],
    ]);
    const seats = lineage.lines.find((l: { amount: string }) => l.amount === '196.45');
    expect(seats.sources[0]).toMatchObject({ kind: 'license', count: 1, rule: { basis: 'fixed', unitPrice: '14' }, allocation: { costNodeId: nodes.unallocated, ruleId: null } });
    const reversal = lineage.lines.flatMap((l: { sources: Array<{ kind: string }> }) => l.sources).find((s: { kind: string }) => s.kind === 'usage_reversal');
    expect(reversal).toMatchObject({ count: 1, price: '-2.2425' }); // −1.95 × 1.15

    const bhd = await invoiceOf(ids.c, '2026-10');
    const bhdLineage = (await send('GET', `/v1/invoices/${bhd.id}/lineage`, undefined, hub.keys.auditor)).json();
    expect(bhdLineage.lines[0].sources[0].costFx).toMatchObject({ source: 'fixed', from: 'USD', to: 'BHD', rate: '0.376' });
    expect(bhdLineage.lines[0].sources[0].roundingApplied).toBe(false);
  });

  it("lists the line whose Microsoft cost differs from the documented formula, without changing Microsoft's figure", async () => {
    const res = await send('GET', `/v1/billing-runs/${october.id}/cost-discrepancies`, undefined, hub.keys.finance);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items).toEqual([
      expect.objectContaining({ customerId: ids.a, lineKind: 'usage', field: 'BillingPreTaxTotal', microsoft: '5', recomputed: '1.95', difference: '3.05', currency: 'USD' }),
    ]);
  });

  it('reports margin per customer and category and flags the line off its target by more than 2 points', async () => {
    const res = await send('GET', '/v1/reports/margin?period=2026-10', undefined, hub.keys.sales_ops);
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    const storageRow = report.byCustomerCategory.find((r: { customerId: string; category: string }) => r.customerId === ids.a && r.category === 'storage');
    // 0.10 ÷ 1.10 = 9.09 % against a 13 % target.
    expect(storageRow).toMatchObject({ cost: '1', price: '1.1', margin: '0.1', marginPercent: '9.0909', targetMarginPercent: '13', offTarget: true });
    const computeRow = report.byCustomerCategory.find((r: { customerId: string; category: string }) => r.customerId === ids.a && r.category === 'compute');
    expect(computeRow.offTarget).toBe(false);
    expect(report.flags.filter((f: { customerId: string }) => f.customerId === ids.a)).toEqual([expect.objectContaining({ category: 'storage', reason: 'off_target', deviationPoints: '-3.9091' })]);
  });

  it('renders the invoice as a PDF that shows its total', async () => {
    const invoice = await invoiceOf(ids.a, '2026-10');
    const res = await send('GET', `/v1/invoices/${invoice.id}/document?format=summary&type=pdf`, undefined, hub.keys.finance);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const text = extractPdfText(res.rawPayload).pages.flat().join('\n');
    expect(text).toContain('226.57');
    expect(text).toContain('Fabrikam Ltd');
    const csv = await send('GET', `/v1/invoices/${invoice.id}/document?format=detailed&type=csv`, undefined, hub.keys.finance);
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('226.57');
  });

  it('yields the same invoices when an unchanged period is closed again', async () => {
    const before = await Promise.all([ids.a, ids.b, ids.c].map((id) => invoiceOf(id, '2026-10')));
    const again = await close('2026-10');
    expect(again.report.customers).toMatchObject({ issued: 0, reused: 3, noRateCard: 1 });
    const after = await Promise.all([ids.a, ids.b, ids.c].map((id) => invoiceOf(id, '2026-10')));
    expect(after.map((i) => [i.id, i.revision, i.totals.total])).toEqual(before.map((i) => [i.id, i.revision, i.totals.total]));
  });

  it('issues revision 2 when an input changes, and keeps revision 1', async () => {
    const first = await invoiceOf(ids.a, '2026-10');
    const version = await send('POST', `/v1/rate-cards/${cardA}/versions`, {
      currency: 'USD',
      rounding: { scope: 'line', mode: 'half_up' },
      minimumMonthly: '100.00',
      targetMarginPercent: '13',
      effectiveFrom: '2026-10-01',
      justification: 'Compute to 20 %',
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '20' },
        { match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: '14.00' },
        { match: { default: true }, basis: 'cost', markupPercent: '10' },
      ],
    });
    expect(version.statusCode, version.body).toBe(201);
    expect((await send('POST', `/v1/rate-cards/${cardA}/versions/2/approve`, {}, hub.keys.sales_ops)).statusCode).toBe(200);
    expect((await send('POST', `/v1/rate-cards/${cardA}/versions/2/approve`, {}, hub.keys.finance)).statusCode).toBe(200);

    const rerun = await close('2026-10');
    expect(rerun.report.customers).toMatchObject({ issued: 1, reused: 2 });
    const second = await invoiceOf(ids.a, '2026-10');
    expect(second.revision).toBe(2);
    expect(second.number).toMatch(/-r2$/);
    expect(second.rateCard.version).toBe(2);
    // Compute 1.95, 8.16, 5.00 × 1.20 = 2.34 + 9.79 + 6.00 = 18.13; the rest unchanged; September's late lines still priced by v1.
    expect(second.totals).toMatchObject({ charges: '215.68', adjustments: '11.64', total: '227.32' });
    expectTotalsAddUp(second);
    const kept = (await send('GET', `/v1/invoices/${first.id}`, undefined, hub.keys.finance)).json();
    expect(kept).toMatchObject({ revision: 1, status: 'superseded', supersededBy: second.id, totals: first.totals });
    const all = (await send('GET', `/v1/invoices?customerId=${ids.a}&period=2026-10`, undefined, hub.keys.finance)).json().items;
    expect(all.map((i: { revision: number }) => i.revision).sort()).toEqual([1, 2]);
    const audit = await hub.ctx.db.selectFrom('audit_log').select('action').where('entity_id', 'in', [first.id, second.id]).execute();
    expect(audit.map((r) => r.action).sort()).toEqual(['invoice.issue', 'invoice.issue', 'invoice.supersede']);
    await expect(hub.ctx.db.updateTable('invoices').set({ total: '0' }).where('id', '=', second.id).execute()).rejects.toThrow(/cannot be changed/);
  });

  it("shows a portal key its own customer's invoices only, without Microsoft's cost, and keeps the lineage from it", async () => {
    const portal = await hub.keyFor(['portal'], ids.a);
    const list = await send('GET', '/v1/portal/invoices', undefined, portal);
    expect(list.statusCode).toBe(200);
    expect(new Set(list.json().items.map((i: { customerId: string }) => i.customerId))).toEqual(new Set([ids.a]));
    const theirs = await invoiceOf(ids.b, '2026-10');
    expect((await send('GET', `/v1/portal/invoices/${theirs.id}`, undefined, portal)).statusCode).toBe(404);
    expect((await send('GET', `/v1/portal/invoices?customerId=${ids.b}`, undefined, portal)).statusCode).toBe(403);
    const own = list.json().items[0];
    const detail = (await send('GET', `/v1/portal/invoices/${own.id}`, undefined, portal)).json();
    const staffView = (await send('GET', `/v1/invoices/${own.id}`, undefined, hub.keys.finance)).json();
    // The client's figures are the MSP's, less its cost.
    expect(detail.totals).toEqual(staffView.totals);
    expect(detail.lines.map((l: { amount: string }) => l.amount)).toEqual(staffView.lines.map((l: { amount: string }) => l.amount));
    expect(detail).not.toHaveProperty('cost');
    for (const line of detail.lines) expect(line).not.toHaveProperty('cost');
    // The MSP's views refuse a portal key outright.
    expect((await send('GET', '/v1/invoices', undefined, portal)).statusCode).toBe(403);
    expect((await send('GET', `/v1/invoices/${own.id}`, undefined, portal)).statusCode).toBe(403);
    expect((await send('GET', `/v1/invoices/${own.id}/lineage`, undefined, portal)).statusCode).toBe(403);
    expect((await send('GET', `/v1/invoices/${own.id}/document?type=html`, undefined, portal)).statusCode).toBe(200);
    expect((await send('GET', `/v1/invoices/${theirs.id}/document?type=html`, undefined, portal)).statusCode).toBe(404);
    expect((await send('GET', '/v1/reports/margin?period=2026-10', undefined, portal)).statusCode).toBe(403);
  });

  it('refuses a month that has not ended, naming the field', async () => {
    const res = await send('POST', '/v1/billing-runs', { period: '2099-01' }, hub.keys.billing_ops);
    expect(res.statusCode).toBe(400);
    expect(res.json().field).toBe('period');
  });
});
