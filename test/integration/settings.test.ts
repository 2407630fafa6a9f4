import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.ts';
import { importThroughApi } from '../helpers/imports.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageCsv } from '../helpers/portal-files.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The invoice seller header: set and read through the API, audited, and printed on the
// documents rendered afterwards (a real close issues the invoice they render).

let hub: TestHub;
let worker: RunningWorker;
const TENANT = 'a1b2c3d4-0000-4000-8000-0000000000e1';
const URL = '/v1/settings/invoice-seller';

const SELLER = {
  name: 'Northwind MSP Ltd',
  addressLines: ['1 Harbour Road', '  Leeds LS1 4AB ', ''],
  taxId: 'GB123456789',
  email: 'billing@northwind.example',
  paymentTermsDays: 14,
};

function send(method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, key = hub.keys.admin, headers: Record<string, string> = {}) {
  return hub.app.inject({ method, url, headers: { ...hub.auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
}

beforeAll(async () => {
  hub = await createTestHub();
  worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 2, crontab: '' });
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await hub?.close();
});

describe('GET/PUT /v1/settings/invoice-seller', () => {
  it('is 404 problem+json before anything is set', async () => {
    const res = await send('GET', URL, undefined, hub.keys.finance);
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: '/problems/not-found', status: 404 });
  });

  it('stores what an admin PUTs (trimmed, blank address lines dropped) and reads it back', async () => {
    const put = await send('PUT', URL, SELLER, hub.keys.admin, { 'x-request-id': 'seller-put-1' });
    expect(put.statusCode, put.body).toBe(200);
    const expected = { name: 'Northwind MSP Ltd', addressLines: ['1 Harbour Road', 'Leeds LS1 4AB'], taxId: 'GB123456789', email: 'billing@northwind.example', paymentTermsDays: 14 };
    expect(put.json()).toEqual({ ...expected, updatedAt: expect.any(String) });
    const get = await send('GET', URL, undefined, hub.keys.finance);
    expect(get.statusCode).toBe(200);
    expect(get.json()).toEqual(put.json());

    // A second PUT replaces the whole value: fields left out are cleared.
    const second = await send('PUT', URL, { name: 'Northwind MSP', taxId: null, email: null });
    expect(second.json()).toMatchObject({ name: 'Northwind MSP', addressLines: [], taxId: null, email: null, paymentTermsDays: 30 });
    const rows = await hub.ctx.db.selectFrom('settings').selectAll().where('key', '=', 'invoice.seller').execute();
    expect(rows).toHaveLength(1);
  });

  it('audits each change with the value before and after, in the same transaction', async () => {
    const rows = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity', '=', 'setting').where('entity_id', '=', 'invoice.seller').orderBy('seq').execute();
    expect(rows.map((r) => r.action)).toEqual(['settings.invoice_seller.update', 'settings.invoice_seller.update']);
    const [first, second] = rows;
    expect(first!.before).toBeNull();
    expect(first!.after).toMatchObject({ name: 'Northwind MSP Ltd', taxId: 'GB123456789' });
    expect(first!.request_id).toBe('seller-put-1');
    expect(first!.actor).toMatch(/^key:/);
    expect(second!.before).toEqual(first!.after);
    expect(second!.after).toMatchObject({ name: 'Northwind MSP', taxId: null });
  });

  it('refuses a bad body with 400 naming the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...SELLER, name: '   ' }, 'name'],
      [{ ...SELLER, name: 'x'.repeat(201) }, 'name'],
      [{ addressLines: [] }, 'name'],
      [{ ...SELLER, email: 'not an address' }, 'email'],
      [{ ...SELLER, taxId: 'T'.repeat(65) }, 'taxId'],
      [{ ...SELLER, addressLines: ['a'.repeat(201)] }, 'addressLines.0'],
      [{ ...SELLER, paymentTermsDays: -1 }, 'paymentTermsDays'],
      [{ ...SELLER, phone: '+44 113 000 0000' }, 'phone'],
    ];
    for (const [payload, field] of cases) {
      const res = await send('PUT', URL, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().field, res.body).toBe(field);
    }
    expect((await send('GET', URL, undefined, hub.keys.finance)).json().name).toBe('Northwind MSP');
  });

  it('lets finance read but not write, and nobody else in', async () => {
    expect((await send('PUT', URL, SELLER, hub.keys.finance)).statusCode).toBe(403);
    for (const key of [hub.keys.sales_ops, hub.keys.billing_ops, hub.keys.auditor]) {
      expect((await send('GET', URL, undefined, key)).statusCode).toBe(403);
      expect((await send('PUT', URL, SELLER, key)).statusCode).toBe(403);
    }
    expect((await send('GET', URL, undefined, hub.keys.admin)).statusCode).toBe(200);
  });

  it('is what invoice documents rendered afterwards print', async () => {
    // One October usage line, a card, a close: an issued invoice to render.
    await importThroughApi(hub, usageCsv([usageRecord({ CustomerId: TENANT, CustomerName: 'Fabrikam Ltd' })]));
    const customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', TENANT).executeTakeFirstOrThrow()).entity_id;
    const card = await send('POST', '/v1/rate-cards', {
      name: 'Card',
      customerId,
      currency: 'USD',
      effectiveFrom: '2026-09-01',
      justification: 'Agreed prices',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }],
    });
    expect(card.statusCode, card.body).toBe(201);
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) expect((await send('POST', `/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
    const started = await send('POST', '/v1/billing-runs', { period: '2026-10' }, hub.keys.billing_ops);
    expect(started.statusCode, started.body).toBe(202);
    for (let run = started.json(); !['succeeded', 'partial', 'failed'].includes(run.status); ) {
      await new Promise((r) => setTimeout(r, 100));
      run = (await send('GET', `/v1/billing-runs/${started.json().id}`, undefined, hub.keys.finance)).json();
      if (['partial', 'failed'].includes(run.status)) throw new Error(JSON.stringify(run.report));
    }
    const invoice = (await send('GET', `/v1/invoices?customerId=${customerId}&period=2026-10&status=issued`, undefined, hub.keys.finance)).json().items[0];

    const render = () => send('GET', `/v1/invoices/${invoice.id}/document?format=summary&type=html`, undefined, hub.keys.finance);
    expect((await render()).body).toContain('Northwind MSP');
    expect((await send('PUT', URL, { ...SELLER, name: 'Southwind Cloud Services' })).statusCode).toBe(200);
    const html = await render();
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('<h1>Southwind Cloud Services</h1>');
    expect(html.body).not.toContain('Northwind MSP');
    for (const printed of ['1 Harbour Road', 'Leeds LS1 4AB', 'Tax ID: GB123456789', 'billing@northwind.example']) expect(html.body).toContain(printed);
  });
});
