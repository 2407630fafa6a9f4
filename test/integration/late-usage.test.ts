import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importThroughApi } from '../helpers/imports.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { licenseCsv, usageCsv } from '../helpers/portal-files.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub({ worker: true });
});
afterAll(() => hub.close());

const SEPTEMBER_USAGE = { ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59' };
const SEPTEMBER_LICENSE = { ChargeStartDate: '9/7/2026 0:00', ChargeEndDate: '10/6/2026 0:00' };

const importFile = (body: string) => importThroughApi(hub, body, { key: hub.keys.admin });

const lateUsage = async (query = '', key = hub.keys.finance) => {
  const res = await hub.app.inject({ method: 'GET', url: `/v1/late-usage${query}`, headers: hub.auth(key) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Record<string, any>[]; nextCursor: string | null };
};

describe('GET /v1/late-usage', () => {
  it('lists usage and licence lines stored late for a closed period, with what they supersede, until a close picks them up', async () => {
    // September as billed at the close.
    await importFile(usageCsv([usageRecord({ ...SEPTEMBER_USAGE, UsageDate: '9/10/2026 0:00' })]));
    await importFile(licenseCsv([licenseRecord(SEPTEMBER_LICENSE)]));
    expect((await lateUsage()).items).toEqual([]);
    await hub.ctx.db.insertInto('billing_periods').values({ period: '2026-09', status: 'closed', closed_at: new Date() }).execute();

    // After the close: a revised September line, a September line never seen, and an ordinary October line.
    const usage = await importFile(
      usageCsv([
        usageRecord({ ...SEPTEMBER_USAGE, UsageDate: '9/10/2026 0:00', Quantity: '30', BillingPreTaxTotal: '2.44', InvoiceNumber: 'G000123' }),
        usageRecord({ ...SEPTEMBER_USAGE, UsageDate: '9/11/2026 0:00' }),
        usageRecord({ UsageDate: '10/1/2026 0:00' }),
      ]),
    );
    expect(usage).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 });
    const license = await importFile(licenseCsv([licenseRecord({ ...SEPTEMBER_LICENSE, Subtotal: '154.79', InvoiceNumber: 'G000123' })]));
    expect(license).toMatchObject({ accepted: 1, duplicates: 0 });
    // The same late lines again add nothing.
    expect(await importFile(licenseCsv([licenseRecord({ ...SEPTEMBER_LICENSE, Subtotal: '154.79', InvoiceNumber: 'G000123' })]))).toMatchObject({ accepted: 0, duplicates: 1 });

    const { items, nextCursor } = await lateUsage();
    expect(nextCursor).toBeNull();
    expect(items).toHaveLength(3);
    // Newest first: the licence revision was detected last.
    const [licenseLate, ...usageLate] = items;
    const fabrikam = usageLate[0]!.customerId;
    expect(licenseLate).toMatchObject({
      kind: 'license',
      period: '2026-09',
      customerName: 'Northwind Traders',
      customerTenantId: '9b1d4e22-7f3a-4c55-8a66-1e2f3a4b5c6d',
      date: '2026-09-07',
      description: 'Microsoft 365 Business Standard',
      chargeType: 'addQuantity',
      quantity: '15',
      amount: '154.79',
      currency: 'EUR',
      amountDelta: '-0.01',
      revision: 2,
      supersedes: { id: expect.any(String), quantity: '15', amount: '154.80' },
      source: 'import',
      importId: license.importId,
    });
    const revised = usageLate.find((l) => l.date === '2026-09-10')!;
    const fresh = usageLate.find((l) => l.date === '2026-09-11')!;
    expect(revised).toMatchObject({
      kind: 'usage',
      period: '2026-09',
      customerId: fabrikam,
      customerName: 'Fabrikam Ltd',
      description: 'D2 v3',
      quantity: '30',
      effectiveUnitPrice: '0.0816',
      amount: '2.44',
      currency: 'USD',
      amountDelta: '0.49',
      supersedes: { id: expect.any(String), quantity: '24', amount: '1.95' },
      importId: usage.importId,
    });
    expect(Date.parse(revised.lateDetectedAt)).not.toBeNaN();
    expect(fresh).toMatchObject({ kind: 'usage', amount: '1.95', amountDelta: '1.95', supersedes: null, revision: 1 });

    // Filters.
    expect((await lateUsage('?period=2026-09')).items).toHaveLength(3);
    expect((await lateUsage('?period=2026-10')).items).toEqual([]);
    expect((await lateUsage(`?customerId=${fabrikam}`)).items.map((i) => i.kind)).toEqual(['usage', 'usage']);
    expect((await lateUsage(`?customerId=${fabrikam}&period=2026-09`)).items).toHaveLength(2);
    const bad = await hub.app.inject({ method: 'GET', url: '/v1/late-usage?period=2026-13', headers: hub.auth(hub.keys.finance) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('period');

    // Every line once, page by page.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await lateUsage(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`, hub.keys.auditor);
      seen.push(...page.items.map((i) => `${i.kind}:${i.id}`));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(items.map((i) => `${i.kind}:${i.id}`));

    // A close that picked a line up takes it off the list.
    await hub.ctx.db.insertInto('billing_runs').values({ id: '00000000-0000-4000-8000-0000000000aa', period: '2026-10', time_zone: 'UTC', status: 'succeeded' }).execute();
    await hub.ctx.db.updateTable('usage_lines').set({ picked_up_by_run: '00000000-0000-4000-8000-0000000000aa' }).where('id', '=', Number(revised.id)).execute();
    expect((await lateUsage()).items.map((i) => i.id)).toEqual([licenseLate!.id, fresh.id]);
  });
});
