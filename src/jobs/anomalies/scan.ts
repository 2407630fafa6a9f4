import type { HubContext } from '../../context.ts';
import { loadDailySpend, loadQuoteBaseline, loadStoredThresholds, saveFindings, thresholdsFrom } from '../../db/anomalies.ts';
import { spendAnomalies } from '../../engine/anomaly.ts';
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

/** `anomalies:scan`: one job per customer with usage in the history window (fan out per customer). */
export async function scanAnomalies(payload: AnomalyScanPayload, ctx: HubContext): Promise<number> {
  const day = payload.day ?? addDays(todayIn(ctx.config.billingTimeZone), -1);
  const customers = await ctx.db
    .selectFrom('usage_lines')
    .select('customer_id')
    .distinct()
    .where('usage_date', '>=', addDays(day, -HISTORY_DAYS))
    .where('usage_date', '<=', day)
    .execute();
  await enqueueJobs(
    ctx.db,
    ANOMALY_SCAN_CUSTOMER_TASK,
    customers.map((c) => ({ payload: { customerId: c.customer_id, day }, jobKey: `anomalies:${c.customer_id}:${day}` })),
  );
  return customers.length;
}

/** `anomalies:scan_customer`: the spend rules over one customer's day, per billing currency; findings stored, alerts raised. */
export async function scanCustomerAnomalies(payload: AnomalyScanCustomerPayload, ctx: HubContext): Promise<{ raised: number; refreshed: number }> {
  const thresholds = thresholdsFrom(await loadStoredThresholds(ctx.db, payload.customerId));
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
  return { raised, refreshed };
}
