import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedInvoice } from '../helpers/closed-invoice.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Credits and write-offs against an issued invoice (total 1000.00 USD, see closedInvoice):
// approved at once up to the threshold, above it only by a finance key other than the
// requester's, never beyond what the invoice has left.

let hub: TestHub;
let invoiceId = '';
let secondFinance = '';
const TENANT = 'c1b2c3d4-0000-4000-8000-0000000000a1';

function send(method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  ({ invoiceId } = await closedInvoice(hub, TENANT, 'Adjusted Client'));
  secondFinance = await hub.keyFor(['finance']);
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('approval thresholds', () => {
  it('start at 500 in any currency, and an admin sets them per currency', async () => {
    expect((await send('GET', '/v1/settings/adjustment-approval', hub.keys.finance)).json()).toEqual({ defaultAmount: '500', byCurrency: {}, updatedAt: null });
    const numeric = await send('PUT', '/v1/settings/adjustment-approval', hub.keys.admin, { defaultAmount: 100 });
    expect(numeric.statusCode).toBe(400);
    expect(numeric.json().field).toBe('defaultAmount');
    const set = await send('PUT', '/v1/settings/adjustment-approval', hub.keys.admin, { defaultAmount: '100.00', byCurrency: { JPY: '15000' } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ defaultAmount: '100.00', byCurrency: { JPY: '15000' } });
    expect((await send('PUT', '/v1/settings/adjustment-approval', hub.keys.finance, { defaultAmount: '1000000' })).statusCode).toBe(403);
  });
});

describe('credits and write-offs', () => {
  let pending = '';

  it('approves an amount at or below the threshold as it is asked for', async () => {
    const res = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '100.00', reason: 'Service outage on 12 October' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ kind: 'credit', amount: '100.00', currency: 'USD', status: 'approved', approvalRequired: false, threshold: '100', decidedBy: 'system:below_threshold', period: '2026-10' });
  });

  it('holds an amount above the threshold for finance approval', async () => {
    const res = await send('POST', '/v1/invoice-adjustments', hub.keys.finance, { invoiceId, kind: 'write_off', amount: '100.01', reason: 'Disputed charge, settled' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'pending', approvalRequired: true, decidedBy: null, decidedAt: null });
    pending = res.json().id;
    const queue = (await send('GET', '/v1/invoice-adjustments?status=pending', hub.keys.auditor)).json();
    expect(queue.items.map((i: { id: string }) => i.id)).toEqual([pending]);
  });

  it('refuses the decision to the key that asked, and to roles other than finance', async () => {
    const own = await send('POST', `/v1/invoice-adjustments/${pending}/approve`, hub.keys.finance, {});
    expect(own.statusCode).toBe(403);
    expect(own.json().detail).toMatch(/requested/);
    expect((await send('POST', `/v1/invoice-adjustments/${pending}/approve`, hub.keys.admin, {})).statusCode).toBe(403);
    expect((await send('POST', `/v1/invoice-adjustments/${pending}/approve`, hub.keys.billing_ops, {})).statusCode).toBe(403);
    expect((await send('GET', `/v1/invoice-adjustments/${pending}`, hub.keys.finance)).json().status).toBe('pending');
  });

  it('lets another finance key approve it, once', async () => {
    const res = await send('POST', `/v1/invoice-adjustments/${pending}/approve`, secondFinance, { comment: 'Checked the dispute file' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'approved', decisionComment: 'Checked the dispute file' });
    expect(res.json().decidedBy).toMatch(/^key:/);
    expect(res.json().decidedBy).not.toBe(res.json().requestedBy);
    expect((await send('POST', `/v1/invoice-adjustments/${pending}/approve`, secondFinance, {})).statusCode).toBe(409);
  });

  it('never adjusts more than the invoice has left: 1000.00 − 100.00 − 100.01 = 799.99', async () => {
    const over = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '800.00', reason: 'Goodwill' });
    expect(over.statusCode).toBe(400);
    expect(over.json().field).toBe('amount');
    expect(over.json().detail).toContain('799.99 USD');
    const rest = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '799.99', reason: 'Goodwill' });
    expect(rest.json().status).toBe('pending');
    // A rejection gives the amount back.
    const rejected = await send('POST', `/v1/invoice-adjustments/${rest.json().id}/reject`, hub.keys.finance, { comment: 'Too generous' });
    expect(rejected.json().status).toBe('rejected');
    expect((await send('POST', `/v1/invoice-adjustments/${rest.json().id}/reject`, hub.keys.finance, {})).statusCode).toBe(400);
    expect((await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '0.01', reason: 'Rounding' })).statusCode).toBe(201);
  });

  it('names the field of bad input', async () => {
    const cents = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '1.005', reason: 'x' });
    expect(cents.statusCode).toBe(400);
    expect(cents.json()).toMatchObject({ field: 'amount' });
    expect(cents.json().detail).toContain('2 decimal places');
    const zero = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'credit', amount: '0', reason: 'x' });
    expect(zero.json().field).toBe('amount');
    const unknown = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId: '00000000-0000-4000-8000-000000000000', kind: 'credit', amount: '1', reason: 'x' });
    expect(unknown.json().field).toBe('invoiceId');
    const late = await send('POST', '/v1/invoice-adjustments', hub.keys.billing_ops, { invoiceId, kind: 'late_usage', amount: '1', reason: 'x' });
    expect(late.statusCode).toBe(400);
  });

  it('records every request and decision in the audit chain, and the database itself refuses a self-approval', async () => {
    const actions = (await hub.ctx.db.selectFrom('audit_log').select('action').where('entity', '=', 'invoice_adjustment').orderBy('seq').execute()).map((r) => r.action);
    expect(actions).toEqual([
      'invoice_adjustment.credit.request',
      'invoice_adjustment.write_off.request',
      'invoice_adjustment.approve',
      'invoice_adjustment.credit.request',
      'invoice_adjustment.reject',
      'invoice_adjustment.credit.request',
    ]);
    const row = await hub.ctx.db.selectFrom('invoice_adjustments').select(['id', 'requested_key_id']).where('status', '=', 'approved').where('approval_required', '=', true).executeTakeFirstOrThrow();
    await expect(hub.ctx.db.updateTable('invoice_adjustments').set({ decided_key_id: row.requested_key_id }).where('id', '=', row.id).execute()).rejects.toThrow(/four_eyes/);
  });
});

describe('late-usage adjustments above the threshold', () => {
  const LATE_TENANT = 'c1b2c3d4-0000-4000-8000-0000000000a2';
  let customerId = '';

  async function close(period: string): Promise<void> {
    const run = await send('POST', '/v1/billing-runs', hub.keys.billing_ops, { period });
    expect(run.statusCode, run.body).toBe(202);
    for (let status = ''; !['succeeded', 'partial', 'failed'].includes(status); ) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await send('GET', `/v1/billing-runs/${run.json().id}?customers=false`, hub.keys.finance)).json().status;
    }
  }

  async function septemberInvoice(): Promise<Record<string, any>> {
    const list = (await send('GET', `/v1/invoices?customerId=${customerId}&period=2026-09&status=issued`, hub.keys.finance)).json().items;
    expect(list).toHaveLength(1);
    return (await send('GET', `/v1/invoices/${list[0].id}`, hub.keys.finance)).json();
  }

  it('are held out of the next invoice until another key of finance approves the amount', async () => {
    // August closed for a new client with one usage line (1.95 → 2.2425, topped up to the 1,000.00 minimum).
    await ingestUsageRecords(hub.database, [usageRecord({ CustomerId: LATE_TENANT, CustomerName: 'Late Client', UsageDate: '8/3/2026 0:00', ChargeStartDate: '8/1/2026 0:00', ChargeEndDate: '8/31/2026 23:59' })]);
    customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', LATE_TENANT).executeTakeFirstOrThrow()).entity_id;
    const card = await send('POST', '/v1/rate-cards', hub.keys.admin, {
      name: 'Card', customerId, currency: 'USD', effectiveFrom: '2026-08-01', justification: 'Agreed prices', minimumMonthly: '1000.00',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '15' }],
    });
    for (const approver of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, approver, {})).statusCode).toBe(200);
    await close('2026-08');
    // 200.00 of August usage arrives late. Priced at cost + 15 %: 230.00, above the 100.00 threshold.
    await ingestUsageRecords(hub.database, [usageRecord({ CustomerId: LATE_TENANT, CustomerName: 'Late Client', UsageDate: '8/20/2026 0:00', ChargeStartDate: '8/1/2026 0:00', ChargeEndDate: '8/31/2026 23:59', BillingPreTaxTotal: '200.00', MeterId: 'late-meter' })]);
    expect((await send('GET', `/v1/late-usage?customerId=${customerId}`, hub.keys.finance)).json().items).toHaveLength(1);

    await close('2026-09');
    // September: no usage, the 1,000.00 minimum; the late adjustment waits.
    const held = await septemberInvoice();
    expect(held.totals).toMatchObject({ adjustments: '0.00', total: '1000.00' });
    expect((await send('GET', `/v1/late-usage?customerId=${customerId}`, hub.keys.finance)).json().items).toHaveLength(1);
    const pending = (await send('GET', `/v1/invoice-adjustments?customerId=${customerId}&status=pending`, hub.keys.finance)).json().items;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ kind: 'late_usage', period: '2026-08', amount: '230.00', currency: 'USD', invoiceId: null, approvalRequired: true });
    expect(pending[0].requestedBy).toMatch(/^key:/);

    // Closing again asks nothing new; the key that started the close cannot approve.
    await close('2026-09');
    expect((await send('GET', `/v1/invoice-adjustments?customerId=${customerId}`, hub.keys.finance)).json().items).toHaveLength(1);
    expect((await send('POST', `/v1/invoice-adjustments/${pending[0].id}/approve`, hub.keys.billing_ops, {})).statusCode).toBe(403);
    expect((await send('POST', `/v1/invoice-adjustments/${pending[0].id}/approve`, hub.keys.finance, { comment: 'Checked with Microsoft' })).statusCode).toBe(200);

    await close('2026-09');
    // 1,000.00 minimum + 230.00 late usage = 1,230.00, in a new revision.
    const billed = await septemberInvoice();
    expect(billed.revision).toBe(held.revision + 1);
    expect(billed.totals).toMatchObject({ adjustments: '230.00', total: '1230.00' });
    expect((await send('GET', `/v1/late-usage?customerId=${customerId}`, hub.keys.finance)).json().items).toEqual([]);
  }, 120_000);
});
