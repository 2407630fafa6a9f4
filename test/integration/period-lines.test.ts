import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeriodLines, openPeriodLines } from '../../src/db/billing-lines.ts';
import type { BillingLine } from '../../src/engine/types.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The close reads a customer's month through a cursor, a batch at a time: whatever the
// batch size, it must see the very lines (same order, same values) and the same input
// digest as reading the month whole (loadPeriodLines), which issued invoices' fingerprints
// were made with; only this period's lines, not the next month's or another customer's.

let hub: TestHub;
let customerId = '';
const TENANT = { a: 'c3d4e5f6-0000-4000-8000-00000000000a', b: 'c3d4e5f6-0000-4000-8000-00000000000b' };

beforeAll(async () => {
  hub = await createTestHub();
  const usage = (tenant: string, day: number, resource: number, o: Record<string, unknown> = {}) =>
    usageRecord({
      CustomerId: tenant,
      CustomerName: tenant === TENANT.a ? 'Fabrikam Ltd' : 'Contoso KK',
      UsageDate: `10/${day}/2026 0:00`,
      ResourceURI: `/subscriptions/ent-1/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm${resource}`,
      Quantity: String(resource + day),
      BillingPreTaxTotal: ((resource + day) * 0.0816).toFixed(2).replace(/\d$/, '0'),
      ...o,
    });
  const records: Record<string, unknown>[] = [];
  for (let day = 1; day <= 6; day += 1) for (let r = 1; r <= 4; r += 1) records.push(usage(TENANT.a, day, r, r === 2 ? { Tags: '{}' } : {}));
  records.push(usage(TENANT.b, 2, 1));
  records.push(usage(TENANT.a, 1, 9, { UsageDate: '11/1/2026 0:00', ChargeStartDate: '11/1/2026 0:00', ChargeEndDate: '11/30/2026 23:59' }));
  await ingestUsageRecords(hub.database, records);
  await ingestLicenseRecords(hub.database, [
    licenseRecord({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', SubscriptionId: 'sub-1', ChargeStartDate: '10/1/2026 0:00', ChargeEndDate: '10/31/2026 0:00' }),
    licenseRecord({ CustomerId: TENANT.a, CustomerName: 'Fabrikam Ltd', SubscriptionId: 'sub-2', ChargeStartDate: '10/1/2026 0:00', ChargeEndDate: '10/31/2026 0:00' }),
  ]);
  customerId = (await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', TENANT.a.toLowerCase()).executeTakeFirstOrThrow()).entity_id;
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('openPeriodLines', () => {
  it('streams the same lines, in the same order, with the same digest in batches of 5 as read whole', async () => {
    const whole = await loadPeriodLines(hub.ctx.db, customerId, '2026-10', 'USD');
    expect(whole.usageCount).toBe(24);

    const { batches, lines, digest, usageCount, licenseCount } = await hub.ctx.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const cursor = await openPeriodLines(trx, customerId, '2026-10', 'USD', 5);
        expect(() => cursor.digest()).toThrow(/every usage line read first/);
        const sizes: number[] = [];
        const all: BillingLine[] = [];
        await cursor.readUsage((batch) => {
          sizes.push(batch.length);
          all.push(...batch);
        });
        all.push(...cursor.licence);
        return { batches: sizes, lines: all, digest: cursor.digest(), usageCount: cursor.usageCount(), licenseCount: cursor.licenseCount };
      });
    expect(batches).toEqual([5, 5, 5, 5, 4]);
    expect(usageCount).toBe(24);
    expect(licenseCount).toBe(whole.licenseCount);
    expect(licenseCount).toBe(2);
    expect(lines).toEqual(whole.lines);
    expect(digest).toBe(whole.digest);
  });

  it('gives an exact multiple of the batch size in full batches, and lets a reader stop early', async () => {
    await hub.ctx.db.transaction().execute(async (trx) => {
      const cursor = await openPeriodLines(trx, customerId, '2026-10', 'USD', 6);
      const sizes: number[] = [];
      let between = 0;
      await cursor.readUsage(
        (batch) => {
          sizes.push(batch.length);
        },
        () => (between += 1),
      );
      expect(sizes).toEqual([6, 6, 6, 6]);
      expect(between).toBe(4);
      await expect(cursor.readUsage(() => undefined)).rejects.toThrow(/read once/);
    });
    const first = await hub.ctx.db.transaction().execute(async (trx) => {
      const cursor = await openPeriodLines(trx, customerId, '2026-10', 'USD', 3);
      const ids: string[] = [];
      let batches = 0;
      await cursor.readUsage((batch) => {
        batches += 1;
        ids.push(...batch.map((l) => l.id));
        return false;
      });
      expect(batches).toBe(1);
      return ids;
    });
    expect(first).toHaveLength(3);
  });
});
