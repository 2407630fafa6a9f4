import type { HubContext } from './context.ts';
import { addDays, todayIn } from './engine/dates.ts';
import { scanAnomalies } from './jobs/anomalies/scan.ts';
import { partnerCenterClientFor } from './jobs/partner-center/client-for-connection.ts';
import { snapshotLicences } from './jobs/partner-center/licence-snapshot.ts';
import type { PartnerCenterSandbox } from './sandbox/partner-center/index.ts';

// The demo's anomaly: one customer bought a SKU and assigns almost none of it. The daily
// licence job would have read its tenant for a week; the demo reads the same state for the
// last seven days at once, then runs the anomaly scan and shows what the queue holds.

type Call = <T = any>(method: string, path: string, body?: unknown, key?: string) => Promise<T>;

const DAYS = 7;

export async function demoAnomaly(api: Call, ctx: HubContext, sandbox: PartnerCenterSandbox, connectionId: string): Promise<string[]> {
  const customer = sandbox.portfolio.customers.find((c) => c.licenseSubscriptions.some((s) => s.lifecycle.kind === 'plain'));
  const sub = customer?.licenseSubscriptions.find((s) => s.lifecycle.kind === 'plain');
  if (!customer || !sub) return ['Anomalies    none to show: no customer of the sandbox holds a licence subscription'];
  const client = await partnerCenterClientFor(ctx, connectionId);
  const sku = (await client.subscribedSkus(customer.id)).find((s) => s.prepaidUnits.enabled > 1);
  if (!sku) return ['Anomalies    none to show: the customer tenant lists no SKU with seats'];
  // One seat in use, the rest bought and idle: under 10 % whenever 11 or more were bought, so none at all below that.
  sandbox.setLicences(customer.id, sku.skuPartNumber, { consumed: sku.prepaidUnits.enabled > 10 ? 1 : 0 });
  const today = todayIn(ctx.config.billingTimeZone);
  for (let back = DAYS - 1; back >= 0; back--) await snapshotLicences(ctx, connectionId, { day: addDays(today, -back), client });
  await scanAnomalies({ day: today }, ctx);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const items = (await api<{ items: { severity: string; message: string }[] }>('GET', '/v1/anomalies?rule=low_utilisation&status=open&limit=5')).items;
    if (items.length > 0) {
      return [
        '',
        `Anomalies    ${items.length} open low-utilisation finding(s) (GET /v1/anomalies; acknowledge or resolve with a reason)`,
        ...items.map((a) => `  ${a.severity.padEnd(8)} ${a.message}`),
      ];
    }
    if (Date.now() > deadline) throw new Error('demo: gave up waiting for the anomaly scan');
    await new Promise((r) => setTimeout(r, 250));
  }
}
