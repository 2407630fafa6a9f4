import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPeriodLicences, loadPeriodLines, periodDigest } from '../../src/db/billing-lines.ts';
import { loadCostCheckCandidates } from '../../src/db/usage-groups.ts';
import { checkCost } from '../../src/engine/cost-check.ts';
import { ZERO, sum } from '../../src/engine/decimal.ts';
import type { UsageLine } from '../../src/engine/types.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { withUsageGroups } from '../helpers/usage-groups.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The close reads a customer's month summed into groups by PostgreSQL (loadUsageGroups):
// the groups must add up to exactly the lines the month holds read one by one
// (loadPeriodLines) — only this period's lines, not the next month's or another
// customer's — and split where a line's sign of cost differs; the cost check's candidates
// must be exactly the lines the engine's own check flags.

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
  // A credit for vm1 on day 7: its own group (a credit is priced on |amount| with its sign).
  records.push(usage(TENANT.a, 7, 1, { Quantity: '-8', BillingPreTaxTotal: '-0.65' }));
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

describe('loadUsageGroups', () => {
  it("sums the month's lines into one group per meter, tags and sign, adding up to the lines read one by one", async () => {
    const whole = await loadPeriodLines(hub.ctx.db, customerId, '2026-10', 'USD');
    expect(whole.usageCount).toBe(25);
    const usage = whole.lines.filter((l): l is UsageLine => l.kind === 'usage');
    const { groups, lineCount } = await withUsageGroups(hub.database, customerId, '2026-10', 'USD', [], async (_db, usage) => usage);
    expect(lineCount).toBe(25);
    // vm1, vm3 and vm4 price, allocate and invoice alike (the resource URI is read by none of
    // them): one group of 18; vm2 has no tags: 6; vm1's credit apart.
    expect(groups.map((g) => g.group?.lineCount)).toEqual([18, 6, 1]);
    for (const g of groups) {
      const resource = (l: UsageLine) => [l.resourceGroup, l.meterId, l.tags, l.subscriptionId, l.cost.isNegative()];
      const members = usage.filter((l) => JSON.stringify(resource(l)) === JSON.stringify(resource(g)) && l.date.startsWith('2026-10'));
      expect(g.id).toBe(members[0]?.id);
      expect(g.date).toBe(members.map((l) => l.date).sort()[0]);
      expect(g.quantity.toString()).toBe(members.reduce((acc, l) => acc.plus(l.quantity), ZERO).toString());
      expect(g.cost.toString()).toBe(members.reduce((acc, l) => acc.plus(l.cost), ZERO).toString());
      expect(g.group?.lineCount).toBe(members.length);
    }
    expect(sum(groups.map((g) => g.cost)).toString()).toBe(sum(usage.map((l) => l.cost)).toString());
  });

  it("offers the cost check exactly the lines the engine's check flags, and digests the lines as read one by one", async () => {
    const whole = await loadPeriodLines(hub.ctx.db, customerId, '2026-10', 'USD');
    const flagged = checkCost(whole.lines.filter((l) => l.kind === 'usage')).map((f) => f.lineId);
    const { candidates, digest } = await withUsageGroups(hub.database, customerId, '2026-10', 'USD', [], async (db, usage) => ({
      candidates: await loadCostCheckCandidates(db, customerId, '2026-10', 'USD', usage.costCheckIds),
      digest: { count: usage.lineCount, digest: usage.digest },
    }));
    expect(candidates.map((l) => l.id)).toEqual(flagged);
    expect(flagged.length).toBeGreaterThan(0);
    // The groups' digest is the one the month read line by line gives.
    expect(digest.count).toBe(whole.usageCount);
    expect(periodDigest(digest.digest, (await loadPeriodLicences(hub.ctx.db, customerId, '2026-10', 'USD')).fingerprint)).toBe(whole.digest);
  });
});
