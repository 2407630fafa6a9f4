import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import { scanAnomalies } from '../../src/jobs/anomalies/scan.ts';
import { partnerCenterClientFor } from '../../src/jobs/partner-center/client-for-connection.ts';
import { checkGdap } from '../../src/jobs/partner-center/gdap-check.ts';
import { snapshotLicences } from '../../src/jobs/partner-center/licence-snapshot.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import type { PartnerCenterSandbox } from '../../src/sandbox/partner-center/index.ts';
import type { Customer, LicenseSubscription } from '../../src/sandbox/partner-center/interfaces.ts';
import { connectSandbox, startSmallSandbox, waitForRun } from '../helpers/partner-center-sync.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// The licence anomaly rules end to end: the hub reads each customer tenant's Graph
// subscribedSkus through GDAP (a token from the customer's own authority), one snapshot a
// day, and the anomaly scan fires unassigned_licences after more than 30 days and
// low_utilisation after 7 days under 10 %, priced from the partner's licence lines. The
// expected prices come from the sandbox's portfolio (what Microsoft bills), not the hub.

const facts = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'vendor', 'graph-subscribed-skus.json'), 'utf8'));
const DAY_MS = 86_400_000;
const quiet = new Logger(() => () => {});

let hub: TestHub;
let sb: PartnerCenterSandbox;
let connectionId: string;
const customerOf: Record<string, string> = {};
/** Customers a test already changed, so the next one picks another. */
const used = new Set<string>();

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day: string, n: number) => isoDay(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS);
const anomaliesOf = async (customerId: string) =>
  (await hub.app.inject({ method: 'GET', url: `/v1/anomalies?customerId=${customerId}`, headers: hub.auth(hub.keys.auditor) })).json().items as Record<string, any>[];

/** Read licences on each day from `from` to `to` as the daily job would, then scan `to`. */
async function daily(from: string, to: string): Promise<void> {
  for (let d = from; d <= to; d = addDays(d, 1)) await snapshotLicences(hub.ctx, connectionId, { day: d });
  await scanAnomalies({ day: to }, hub.ctx);
  await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx), logger: quiet });
}

/** A USD customer's SKU bought through exactly one subscription, and that subscription. */
function singleSku(skip: ReadonlySet<string>): { customer: Customer; sub: LicenseSubscription; partNumber: string } {
  for (const customer of sb.portfolio.customers) {
    if (customer.geography.currency !== 'USD' || skip.has(customer.id)) continue;
    for (const sub of customer.licenseSubscriptions) {
      const same = customer.licenseSubscriptions.filter((s) => s.sku.productId === sub.sku.productId);
      const known = facts.skus[sub.sku.productName];
      if (same.length === 1 && known && sub.lifecycle.kind === 'plain') return { customer, sub, partNumber: known.skuPartNumber };
    }
  }
  throw new Error('the sandbox portfolio has no USD customer with a single-subscription SKU from the fixture');
}

/** Microsoft's price per seat per month: the cycle price, over twelve when billed annually. */
const monthlyPrice = (sub: LicenseSubscription) => new Decimal(sub.cyclePrice.toString()).div(sub.billingCycle === 'annual' ? 12 : 1);

beforeAll(async () => {
  hub = await createTestHub();
  const worker = await startWorker(hub.database.pool, hub.ctx, { concurrency: 4, crontab: '' });
  sb = await startSmallSandbox({ customers: 8 });
  connectionId = await connectSandbox(hub, sb);
  const run = await waitForRun(hub, (await hub.app.inject({ method: 'POST', url: `/v1/connections/${connectionId}/sync`, headers: hub.auth(hub.keys.billing_ops), payload: { kind: 'unbilled' } })).json().id);
  expect(run.status).toBe('succeeded');
  // From here on the test runs the jobs itself (runOnce), so it knows when they are done.
  await worker.stop();
  for (const l of await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute()) customerOf[l.external_id] = l.entity_id;
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await sb?.close();
});

describe('Graph subscribedSkus through GDAP', () => {
  it("answers in the customer's tenant with Microsoft's fields; the partner's app alone is refused there", async () => {
    const client = await partnerCenterClientFor(hub.ctx, connectionId);
    const tenant = sb.portfolio.customers[0]!.id;
    const skus = await client.subscribedSkus(tenant);
    expect(skus.length).toBeGreaterThan(0);
    for (const s of skus) {
      expect(Object.keys(s).sort()).toEqual([...facts.fields].sort());
      expect(Object.keys(s.prepaidUnits).sort()).toEqual([...facts.prepaidUnitsFields].sort());
      expect(s.id).toBe(`${tenant}_${s.skuId}`);
      expect(facts.capabilityStatuses).toContain(s.capabilityStatus);
      expect(s.consumedUnits).toBeLessThanOrEqual(s.prepaidUnits.enabled);
    }
    const appOnly = await fetch(`${sb.authorityUrl}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sb.credentials.clientId, client_secret: sb.credentials.clientSecret, scope: 'https://graph.microsoft.com/.default' }),
    });
    expect(appOnly.status).toBe(400);
  });

  it('skips a customer without GDAP and reads the others', async () => {
    const [blocked, ...others] = sb.portfolio.customers;
    used.add(blocked!.id);
    sb.setGdap(blocked!.id, { absent: true });
    await checkGdap(hub.ctx, connectionId);
    const result = await snapshotLicences(hub.ctx, connectionId, { day: '2026-01-01' });
    expect(result).toMatchObject({ customers: others.length, failed: 0 });
    const seen = await hub.ctx.db.selectFrom('licence_snapshots').select('customer_id').distinct().where('observed_on', '=', '2026-01-01').execute();
    expect(seen.map((r) => r.customer_id)).not.toContain(customerOf[blocked!.id]);
    sb.setGdap(blocked!.id, { absent: false });
    await checkGdap(hub.ctx, connectionId);
  });
});

describe('licence anomaly rules', () => {
  it('unassigned licences: silent after 30 days, fires on the 31st with idle seats × monthly price to the cent', async () => {
    const { customer, sub, partNumber } = singleSku(used);
    used.add(customer.id);
    const client = await partnerCenterClientFor(hub.ctx, connectionId);
    const before = (await client.subscribedSkus(customer.id)).find((s) => s.skuPartNumber === partNumber)!;
    const enabled = before.prepaidUnits.enabled;
    expect(enabled).toBeGreaterThan(3);
    sb.setLicences(customer.id, partNumber, { consumed: enabled - 3 });
    const customerId = customerOf[customer.id]!;

    // 26 Sep .. 25 Oct is 30 days: not more than 30.
    await daily('2026-09-26', '2026-10-25');
    expect((await anomaliesOf(customerId)).filter((a) => a.rule === 'unassigned_licences' && a.evidence.skuPartNumber === partNumber)).toEqual([]);
    await daily('2026-10-26', '2026-10-26');
    const [found, ...more] = (await anomaliesOf(customerId)).filter((a) => a.rule === 'unassigned_licences' && a.evidence.skuPartNumber === partNumber);
    expect(more).toEqual([]);
    const expected = monthlyPrice(sub).times(3).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
    expect(found).toMatchObject({
      severity: 'warning',
      observedOn: '2026-10-26',
      currency: 'USD',
      amountAtStake: expected,
      evidence: { skuPartNumber: partNumber, since: '2026-09-26', days: 31, unassignedSeats: 3 },
    });
    // The next day refreshes the same finding instead of adding one.
    await daily('2026-10-27', '2026-10-27');
    expect((await anomaliesOf(customerId)).filter((a) => a.rule === 'unassigned_licences' && a.evidence.skuPartNumber === partNumber)).toHaveLength(1);
  });

  it('utilisation under 10 %: fires on the 7th day, not the 6th', async () => {
    const { customer, sub, partNumber } = singleSku(used);
    used.add(customer.id);
    const client = await partnerCenterClientFor(hub.ctx, connectionId);
    const enabled = (await client.subscribedSkus(customer.id)).find((s) => s.skuPartNumber === partNumber)!.prepaidUnits.enabled;
    // Under 10 %: at most floor((enabled − 1) / 10) seats in use; none keeps it simple.
    sb.setLicences(customer.id, partNumber, { consumed: 0 });
    const customerId = customerOf[customer.id]!;
    await daily('2026-11-01', '2026-11-06');
    expect((await anomaliesOf(customerId)).filter((a) => a.rule === 'low_utilisation' && a.evidence.skuPartNumber === partNumber)).toEqual([]);
    await daily('2026-11-07', '2026-11-07');
    const [low] = (await anomaliesOf(customerId)).filter((a) => a.rule === 'low_utilisation' && a.evidence.skuPartNumber === partNumber);
    expect(low).toMatchObject({
      severity: 'critical',
      amountAtStake: monthlyPrice(sub).times(enabled).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2),
      evidence: { since: '2026-11-01', days: 7, consumed: 0, enabled, utilisationPercent: '0' },
    });
  });
});
