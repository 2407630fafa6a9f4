import { sql, type Selectable } from 'kysely';
import { alertRaised, publishEvent } from '../notifications/events.ts';
import type { Db } from './database.ts';
import { quoteVariance } from './quote-variance.ts';
import type { AlertsTable } from './types.ts';

/** The alert kind of a quote's Azure budget passed; one per customer, period and threshold (migration 0028). */
export const QUOTE_BUDGET_ALERT = 'quote.azure_budget';

/**
 * Raises an alert (and its alert.raised notification) for every quote threshold the
 * period's Azure cost has passed and that has no alert yet: a warning below the quote's
 * highest threshold, critical at it. Safe to call after every sync and at close.
 *
 * @example await raiseQuoteBudgetAlerts(db, '2026-10', { timeZone: 'UTC' }) // { checked: 12, raised: 1 }
 */
export async function raiseQuoteBudgetAlerts(db: Db, period: string, options: { timeZone: string; customerId?: string }): Promise<{ checked: number; raised: number }> {
  const variances = await quoteVariance(db, period, options);
  let raised = 0;
  for (const v of variances) {
    for (const passed of v.azure.passed) {
      const detail = {
        period,
        thresholdPercent: passed.percent,
        quoteId: v.quoteId,
        dealId: v.dealId,
        revision: v.revision,
        currency: v.currency,
        budget: v.azure.budget.toString(),
        cost: v.azure.cost!.toString(),
        costPercent: v.azure.costPercent!.toString(),
      };
      const message = `${v.customerName}: Azure cost ${v.azure.cost!.toFixed(2)} ${v.currency} for ${period} is ${v.azure.costPercent!.toFixed(2)} % of the quoted monthly ${v.azure.budget.toFixed(2)}, over the ${passed.percent} % threshold`;
      await db.transaction().execute(async (trx) => {
        const { rows } = await sql<Selectable<AlertsTable>>`
          insert into alerts (kind, severity, customer_id, message, detail)
          values (${QUOTE_BUDGET_ALERT}, ${passed.severity}, ${v.customerId}::uuid, ${message}, ${JSON.stringify(detail)}::jsonb)
          on conflict (customer_id, (detail ->> 'period'), (detail ->> 'thresholdPercent')) where kind = 'quote.azure_budget' do nothing
          returning *`.execute(trx);
        if (rows[0]) {
          await publishEvent(trx, alertRaised(rows[0]));
          raised += 1;
        }
      });
    }
  }
  return { checked: variances.length, raised };
}
