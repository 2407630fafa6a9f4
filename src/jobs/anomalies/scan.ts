import type { HubContext } from '../../context.ts';
import { licenceThresholdsFrom, loadDailySpend, loadQuoteBaseline, loadStoredThresholds, saveFindings, thresholdsFrom } from '../../db/anomalies.ts';
import { loadLicenceSeries, loadMonthlySeatPrice } from '../../db/licence-snapshots.ts';
import { spendAnomalies } from '../../engine/anomaly.ts';
import { licenceAnomalies } from '../../engine/licence-anomaly.ts';
import { addDays } from '../../engine/dates.ts';
import { todayIn } from '../../engine/dates.ts';
import { enqueueJobs } from '../enqueue.ts';

export const ANOMALY_SCAN_TASK = 'anomalies:scan';
export const ANOMALY_SCAN_CUSTOMER_TASK = 'anomalies:scan_customer';

export interface AnomalyScanPayload {
  /** The day to check; default yesterday in the billing time zone (the last complete day). */
  day?: string;
}

export interface AnomalyScanCustomerPayload {
  customerId: string;
  day: string;
}

/** How far back a scan reads spend: enough for the longest trailing window anyone sets. */
const HISTORY_DAYS = 60;

/** `anomalies:scan`: one job per customer with usage or licence snapshots in the history window (fan out per customer). */
export async function scanAnomalies(payload: AnomalyScanPayload, ctx: HubContext): Promise<number> {
  const day = payload.day ?? addDays(todayIn(ctx.config.billingTimeZone), -1);
  const customers = await ctx.db
    .selectFrom('usage_lines')
    .select('customer_id')
    .where('usage_date', '>=', addDays(day, -HISTORY_DAYS))
    .where('usage_date', '<=', day)
    .union(ctx.db.selectFrom('licence_snapshots').select('customer_id').where('observed_on', '=', day))
    .execute();
  await enqueueJobs(
    ctx.db,
    ANOMALY_SCAN_CUSTOMER_TASK,
    customers.map((c) => ({ payload: { customerId: c.customer_id, day }, jobKey: `anomalies:${c.customer_id}:${day}` })),
  );
  return customers.length;
}

/**
 * `anomalies:scan_customer`: the spend rules over one customer's day, per billing currency,
 * and the licence rules over each of its SKUs; findings stored, alerts raised.
 */
export async function scanCustomerAnomalies(payload: AnomalyScanCustomerPayload, ctx: HubContext): Promise<{ raised: number; refreshed: number }> {
  const stored = await loadStoredThresholds(ctx.db, payload.customerId);
  const thresholds = thresholdsFrom(stored);
  const spend = await loadDailySpend(ctx.db, payload.customerId, addDays(payload.day, -HISTORY_DAYS), payload.day);
  let raised = 0;
  let refreshed = 0;
  for (const [currency, series] of spend) {
    const baseline = await loadQuoteBaseline(ctx.db, payload.customerId, currency);
    const findings = spendAnomalies({ currency, day: payload.day, series, baseline }, thresholds);
    if (findings.length === 0) continue;
    const saved = await ctx.db.transaction().execute((trx) => saveFindings(trx, payload.customerId, currency, findings));
    raised += saved.raised;
    refreshed += saved.refreshed;
  }
  const licenceThresholds = licenceThresholdsFrom(stored);
  // All of the customer's history (a few thousand rows a year): a run's first day names the
  // finding, so a window that cut a run short would raise it again under a new name each day.
  for (const sku of await loadLicenceSeries(ctx.db, payload.customerId, payload.day)) {
    const price = await loadMonthlySeatPrice(ctx.db, payload.customerId, sku.skuId);
    const findings = licenceAnomalies({ ...sku, day: payload.day, price }, licenceThresholds);
    if (findings.length === 0) continue;
    const saved = await ctx.db.transaction().execute((trx) => saveFindings(trx, payload.customerId, price?.currency ?? 'USD', findings));
    raised += saved.raised;
    refreshed += saved.refreshed;
  }
  return { raised, refreshed };
}
