import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quickbooksWebhookProvider } from '../../src/connectors/quickbooks/webhook.ts';
import { xeroWebhookProvider } from '../../src/connectors/xero/webhook.ts';
import { handleQuickBooksEvent } from '../../src/jobs/erp/quickbooks-events.ts';
import { handleXeroEvent } from '../../src/jobs/erp/xero-events.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';
import { closeSmallMonth, reCloseWithComputeOnWeb, type ClosedMonth } from '../helpers/closed-month.ts';
import { connectBothErps } from '../helpers/erp-connections.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Payments and voids made in the ERP reach the hub by the ERP's signed webhook: the event
// only names the entity; the job reads it back from the sandbox through the SDK. Figures
// by hand (see erp-credit-notes.test.ts): the r1 invoice is 209.18 in QuickBooks (no tax
// in its sandbox) and 240.56 in Xero (209.18 + 15 % output tax 31.38).
// QuickBooks: 50.00 paid → partly paid, 50.00; then 159.18 → paid, 209.18.
// Xero: 240.56 paid in one payment → paid, 240.56.

let hub: TestHub;
let xero: XeroSandbox;
let qbo: QuickBooksSandbox;
let month: ClosedMonth;
let connections: { xero: string; quickbooks: string };
let hubUrl = '';

beforeAll(async () => {
  hub = await createTestHub({ worker: true, webhookProviders: [xeroWebhookProvider({ handle: handleXeroEvent }), quickbooksWebhookProvider({ handle: handleQuickBooksEvent })] });
  hubUrl = await hub.app.listen({ host: '127.0.0.1', port: 0 });
  xero = await startXeroSandbox();
  qbo = await startQuickBooksSandbox();
  month = await closeSmallMonth(hub);
  connections = await connectBothErps(hub, month, xero, qbo);
  for (const system of ['xero', 'quickbooks'] as const) {
    const res = await hub.app.inject({ method: 'POST', url: `/v1/billing-runs/${month.billingRunId}/post`, headers: hub.auth(hub.keys.finance), payload: { connectionId: connections[system] } });
    expect(res.json()).toMatchObject({ queued: 1, blocked: [] });
  }
  for (const system of ['xero', 'quickbooks'] as const) await until(month.invoiceId, system, (p) => p.status === 'posted');
}, 120_000);
afterAll(async () => {
  await hub?.close();
  await xero?.close();
  await qbo?.close();
});

type System = 'xero' | 'quickbooks';
const postingOf = async (invoiceId: string, system: System) =>
  ((await hub.app.inject({ method: 'GET', url: `/v1/invoices/${invoiceId}/postings`, headers: hub.auth(hub.keys.auditor) })).json().items as Record<string, any>[]).find((p) => p.system === system)!;

async function until(invoiceId: string, system: System, done: (posting: Record<string, any>) => boolean): Promise<Record<string, any>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const posting = await postingOf(invoiceId, system);
    if (posting && done(posting)) return posting;
    if (Date.now() > deadline) throw new Error(`${system} posting still ${JSON.stringify(posting)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const control = async (sandboxUrl: string, path: string, body: object) => {
  const res = await fetch(`${sandboxUrl}/_sandbox/invoices/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { delivery: { status: number; body: string } };
};
const inboxCount = async (provider: string) =>
  Number((await hub.ctx.db.selectFrom('webhook_inbox').select((eb) => eb.fn.countAll<string>().as('n')).where('provider', '=', provider).executeTakeFirstOrThrow()).n);

describe('QuickBooks webhooks', () => {
  it('refuses a delivery whose intuit-signature does not match, storing nothing', async () => {
    const body = JSON.stringify({ eventNotifications: [{ realmId: qbo.credentials.realmId, dataChangeEvent: { entities: [{ name: 'Payment', id: '1', operation: 'Create', lastUpdated: '2026-11-05T10:00:00.000Z' }] } }] });
    const deliver = (signature: string) => hub.app.inject({ method: 'POST', url: '/webhooks/quickbooks', payload: body, headers: { 'content-type': 'application/json', 'intuit-signature': signature } });
    expect((await deliver(createHmac('sha256', 'not-the-verifier-token').update(body).digest('base64'))).statusCode).toBe(401);
    expect((await deliver('')).statusCode).toBe(401);
    // Signed right but over other bytes: still refused.
    expect((await deliver(createHmac('sha256', qbo.receivables.verifierToken).update(`${body} `).digest('base64'))).statusCode).toBe(401);
    expect(await inboxCount('quickbooks')).toBe(0);
  });

  it('shows a payment recorded in QuickBooks on the hub invoice: partly paid, then paid', async () => {
    const documentId = (await postingOf(month.invoiceId, 'quickbooks')).documentId;
    const first = await control(qbo.url, `${documentId}/payments`, { amount: '50.00', deliverTo: `${hubUrl}/webhooks/quickbooks` });
    expect(first.delivery.status).toBe(200);
    expect(await until(month.invoiceId, 'quickbooks', (p) => p.erpStatus === 'partly_paid')).toMatchObject({ status: 'posted', erpStatus: 'partly_paid', amountPaid: '50.00' });
    await control(qbo.url, `${documentId}/payments`, { amount: '159.18', deliverTo: `${hubUrl}/webhooks/quickbooks` });
    expect(await until(month.invoiceId, 'quickbooks', (p) => p.erpStatus === 'paid')).toMatchObject({ status: 'posted', erpStatus: 'paid', amountPaid: '209.18' });
    // One inbox row per payment notification.
    expect(await inboxCount('quickbooks')).toBe(2);
  }, 60_000);

  it('stores a redelivered notification once', async () => {
    const body = JSON.stringify({ eventNotifications: [{ realmId: qbo.credentials.realmId, dataChangeEvent: { entities: [{ name: 'Customer', id: '100', operation: 'Update', lastUpdated: '2026-11-06T08:00:00.000Z' }] } }] });
    const signature = createHmac('sha256', qbo.receivables.verifierToken).update(body).digest('base64');
    for (let i = 0; i < 2; i++) {
      const res = await hub.app.inject({ method: 'POST', url: '/webhooks/quickbooks', payload: body, headers: { 'content-type': 'application/json', 'intuit-signature': signature } });
      expect(res.statusCode).toBe(200);
    }
    expect(await inboxCount('quickbooks')).toBe(3);
  });
});

describe('Xero webhooks', () => {
  it('shows a payment recorded in Xero on the hub invoice as paid', async () => {
    const documentId = (await postingOf(month.invoiceId, 'xero')).documentId;
    const paid = await control(xero.url, `${documentId}/payments`, { amount: '240.56', deliverTo: `${hubUrl}/webhooks/xero` });
    expect(paid.delivery).toEqual({ status: 200, body: '' });
    expect(await until(month.invoiceId, 'xero', (p) => p.erpStatus === 'paid')).toMatchObject({ status: 'posted', erpStatus: 'paid', amountPaid: '240.56' });
  }, 60_000);
});

describe('a void made in the ERP', () => {
  it('marks the revision the hub posted voided_in_erp in both ERPs', async () => {
    // r1 is paid in both ERPs, so the revision credits it; then someone voids r2 in each ERP.
    const { runId, revised } = await reCloseWithComputeOnWeb(hub, month);
    for (const system of ['xero', 'quickbooks'] as const) {
      await hub.app.inject({ method: 'POST', url: `/v1/billing-runs/${runId}/post`, headers: hub.auth(hub.keys.finance), payload: { connectionId: connections[system] } });
      await until(revised.id, system, (p) => p.status === 'posted');
      expect(await postingOf(month.invoiceId, system)).toMatchObject({ status: 'credited', erpStatus: 'paid' });
    }
    for (const [system, url] of [['xero', xero.url], ['quickbooks', qbo.url]] as const) {
      const { documentId } = await postingOf(revised.id, system);
      await control(url, `${documentId}/void`, { deliverTo: `${hubUrl}/webhooks/${system}` });
      expect(await until(revised.id, system, (p) => p.erpStatus === 'voided_in_erp')).toMatchObject({ status: 'voided', erpStatus: 'voided_in_erp', amountPaid: '0.00' });
    }
    expect((await postingOf(revised.id, 'quickbooks')).lastError).toBe('voided in QuickBooks');
    expect((await postingOf(revised.id, 'xero')).lastError).toBe('voided in Xero');
  }, 120_000);
});
