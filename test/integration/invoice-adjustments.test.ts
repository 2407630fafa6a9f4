import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedInvoice } from '../helpers/closed-invoice.ts';
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
    expect(res.json()).toMatchObject({ kind: 'credit', amount: '100', currency: 'USD', status: 'approved', approvalRequired: false, threshold: '100', decidedBy: 'system:below_threshold', period: '2026-10' });
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
