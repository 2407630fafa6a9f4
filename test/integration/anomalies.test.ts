import { Logger, runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanAnomalies } from '../../src/jobs/anomalies/scan.ts';
import { buildTaskList } from '../../src/jobs/task-list.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// The anomaly scan end to end: daily usage stored as a sync stores it, the real jobs
// (anomalies:scan fans out to anomalies:scan_customer), findings listed by the API and
// raised as alert.raised notifications. Figures hand-checked in the comments.

let hub: TestHub;
const TENANT = { steady: 'e1b2c3d4-0000-4000-8000-0000000000e1', creeping: 'e1b2c3d4-0000-4000-8000-0000000000e2' };
const ids = { steady: '', creeping: '' };
const DAY = '2026-10-15';
const quiet = new Logger(() => () => {});

function send(method: 'GET' | 'POST' | 'PUT', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

/** One usage line a day, Oct 1–14 at `daily`, and `last` on Oct 15 (`meter` keeps extra lines distinct). */
function days(tenant: string, daily: string, last: string, meter = 'a1b2c3d4-meter-0001') {
  return Array.from({ length: 15 }, (_, i) =>
    usageRecord({ CustomerId: tenant, CustomerName: tenant, UsageDate: `10/${i + 1}/2026 0:00`, BillingPreTaxTotal: i === 14 ? last : daily, MeterId: meter }),
  );
}

async function scan(): Promise<void> {
  await scanAnomalies({ day: DAY }, hub.ctx);
  await runOnce({ pgPool: hub.database.pool, taskList: buildTaskList(hub.ctx), logger: quiet });
}

const anomaliesOf = async (customerId: string) => (await send('GET', `/v1/anomalies?customerId=${customerId}`, hub.keys.auditor)).json().items as Record<string, any>[];
const alertsOf = (customerId: string) => hub.ctx.db.selectFrom('alerts').selectAll().where('customer_id', '=', customerId).orderBy('created_at').execute();

beforeAll(async () => {
  hub = await createTestHub();
  const channel = await send('POST', '/v1/notification-channels', hub.keys.admin, { name: 'Ops', kind: 'webhook', url: 'http://127.0.0.1:9/hooks', events: ['alert.raised'] });
  expect(channel.statusCode, channel.body).toBe(201);
  // Steady: 100.00 a day, then 130.00 (130 % of the 100.00 forecast; 1.3× the average, no runaway).
  // Creeping: 100.00 a day, then 115.00 (a warning), later 125.00 (critical).
  await ingestUsageRecords(hub.database, [...days(TENANT.steady, '100.00', '130.00'), ...days(TENANT.creeping, '100.00', '115.00')]);
  const links = await hub.ctx.db.selectFrom('external_links').select(['entity_id', 'external_id']).where('entity', '=', 'customer').execute();
  ids.steady = links.find((l) => l.external_id === TENANT.steady)!.entity_id;
  ids.creeping = links.find((l) => l.external_id === TENANT.creeping)!.entity_id;
  await scan();
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('the anomaly scan', () => {
  it('finds spend above the forecast with its evidence and the money at stake to the cent', async () => {
    const [anomaly, ...more] = await anomaliesOf(ids.steady);
    expect(more).toEqual([]);
    expect(anomaly).toMatchObject({
      rule: 'spend_above_forecast',
      severity: 'critical',
      status: 'open',
      observedOn: DAY,
      subject: DAY,
      amountAtStake: '30.00',
      currency: 'USD',
      evidence: { spend: '130', forecast: '100', forecastSource: 'trailing', windowFrom: '2026-10-01', windowTo: '2026-10-14', percentOfForecast: '130', thresholdPercent: '120' },
    });
    const warning = (await anomaliesOf(ids.creeping))[0]!;
    expect(warning).toMatchObject({ severity: 'warning', amountAtStake: '15.00' });
  });

  it('raises each finding as an alert, told through alert.raised notifications', async () => {
    const alerts = await alertsOf(ids.steady);
    expect(alerts.map((a) => [a.kind, a.severity, a.status])).toEqual([['anomaly.spend_above_forecast', 'critical', 'open']]);
    expect((await anomaliesOf(ids.steady))[0]!.alertId).toBe(alerts[0]!.id);
    const told = await hub.ctx.db.selectFrom('notification_deliveries').select(['event_id', 'event_type', 'payload']).where('event_id', '=', alerts[0]!.id).execute();
    expect(told).toHaveLength(1);
    expect(told[0]!.event_type).toBe('alert.raised');
    expect(told[0]!.payload).toMatchObject({ type: 'alert.raised', data: { kind: 'anomaly.spend_above_forecast', customerId: ids.steady, detail: { amountAtStake: '30.00' } } });
  });

  it('refreshes a finding on the next scan instead of repeating it, and alerts again only when it becomes critical', async () => {
    // Creeping's Oct 15 gains 10.00 more: 125.00 is 125 % → critical, 25.00 at stake.
    await ingestUsageRecords(hub.database, [usageRecord({ CustomerId: TENANT.creeping, CustomerName: TENANT.creeping, UsageDate: '10/15/2026 0:00', BillingPreTaxTotal: '10.00', MeterId: 'a1b2c3d4-meter-0002' })]);
    await scan();
    expect((await anomaliesOf(ids.steady)).map((a) => a.amountAtStake)).toEqual(['30.00']);
    expect(await alertsOf(ids.steady)).toHaveLength(1);
    const [creeping, ...more] = await anomaliesOf(ids.creeping);
    expect(more).toEqual([]);
    expect(creeping).toMatchObject({ severity: 'critical', amountAtStake: '25.00' });
    expect((await alertsOf(ids.creeping)).map((a) => a.severity)).toEqual(['warning', 'critical']);
  });

  it('flags a runaway day at more than 5× the trailing average', async () => {
    // Steady's Oct 15 gains 371.00: 501.00 > 5 × 100.00 → velocity, 401.00 at stake.
    await ingestUsageRecords(hub.database, [usageRecord({ CustomerId: TENANT.steady, CustomerName: TENANT.steady, UsageDate: '10/15/2026 0:00', BillingPreTaxTotal: '371.00', MeterId: 'a1b2c3d4-meter-0003' })]);
    await scan();
    const byRule = Object.fromEntries((await anomaliesOf(ids.steady)).map((a) => [a.rule, a]));
    expect(byRule.spend_velocity).toMatchObject({ severity: 'critical', amountAtStake: '401.00', evidence: { trailingAverage: '100', multiple: '5.01' } });
    expect(byRule.spend_above_forecast).toMatchObject({ amountAtStake: '401.00' });
  });
});

describe('triage', () => {
  it('acknowledges and resolves with a reason, the alert following; a resolved anomaly stays resolved', async () => {
    const [anomaly] = await anomaliesOf(ids.creeping);
    const noReason = await send('POST', `/v1/anomalies/${anomaly!.id}/acknowledge`, hub.keys.finance, {});
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().field).toBe('reason');
    const ack = await send('POST', `/v1/anomalies/${anomaly!.id}/acknowledge`, hub.keys.billing_ops, { reason: 'Asked the client about the new VMs' });
    expect(ack.json()).toMatchObject({ status: 'acknowledged', statusReason: 'Asked the client about the new VMs' });
    const resolved = await send('POST', `/v1/anomalies/${anomaly!.id}/resolve`, hub.keys.finance, { reason: 'Planned migration, budget raised' });
    expect(resolved.json()).toMatchObject({ status: 'resolved' });
    expect((await hub.ctx.db.selectFrom('alerts').select('status').where('id', '=', anomaly!.alertId).executeTakeFirstOrThrow()).status).toBe('resolved');
    expect((await send('POST', `/v1/anomalies/${anomaly!.id}/resolve`, hub.keys.finance, { reason: 'again' })).statusCode).toBe(409);
    await scan();
    expect((await anomaliesOf(ids.creeping)).map((a) => a.status)).toEqual(['resolved']);
    expect(await alertsOf(ids.creeping)).toHaveLength(2);
    expect((await send('GET', '/v1/anomalies?status=open', hub.keys.finance)).json().items.every((a: { customerId: string }) => a.customerId === ids.steady)).toBe(true);
  });

  it("takes a customer's own thresholds, defaults for the rest", async () => {
    expect((await send('GET', `/v1/customers/${ids.steady}/anomaly-thresholds`, hub.keys.auditor)).json()).toEqual({
      forecastWarningPercent: '110', forecastCriticalPercent: '120', velocityMultiple: '5', trailingDays: 14, velocityTrailingDays: 7, minHistoryDays: 7,
      unassignedDays: 30, lowUtilisationPercent: '10', lowUtilisationDays: 7,
    });
    expect((await send('PUT', `/v1/customers/${ids.steady}/anomaly-thresholds`, hub.keys.finance, { velocityMultiple: 6 })).json().field).toBe('velocityMultiple');
    // A third customer at 100.00 a day then 130.00, whose critical line is 150 %: a warning, not critical.
    const tolerant = 'e1b2c3d4-0000-4000-8000-0000000000e3';
    await ingestUsageRecords(hub.database, days(tolerant, '100.00', '130.00'));
    const link = await hub.ctx.db.selectFrom('external_links').select('entity_id').where('external_id', '=', tolerant).executeTakeFirstOrThrow();
    const set = await send('PUT', `/v1/customers/${link.entity_id}/anomaly-thresholds`, hub.keys.finance, { forecastCriticalPercent: '150', unassignedDays: 45 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ forecastCriticalPercent: '150', forecastWarningPercent: '110', velocityMultiple: '5', unassignedDays: 45, lowUtilisationPercent: '10' });
    await scan();
    expect((await anomaliesOf(link.entity_id)).map((a) => [a.rule, a.severity, a.amountAtStake, a.evidence.thresholdPercent])).toEqual([['spend_above_forecast', 'warning', '30.00', '110']]);
    expect((await send('PUT', '/v1/customers/00000000-0000-4000-8000-000000000000/anomaly-thresholds', hub.keys.finance, {})).statusCode).toBe(404);
  });
});
