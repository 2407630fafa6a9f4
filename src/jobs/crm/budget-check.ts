import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { raiseTrialSpendCapAlerts } from '../../db/onboarding-alerts.ts';
import { raiseQuoteBudgetAlerts } from '../../db/quote-budget-alerts.ts';
import type { Database } from '../../db/types.ts';
import { enqueueJob } from '../enqueue.ts';

export const QUOTE_BUDGET_CHECK_TASK = 'quotes:budget_check';

export interface QuoteBudgetCheckPayload {
  /** YYYY-MM; without it, the current month in the billing time zone (an unbilled sync has no period). */
  period?: string | null;
}

/** The billing month `now` falls in, in the given IANA time zone. @example monthIn(new Date('2026-10-31T23:30:00Z'), 'Europe/Berlin') // '2026-11' */
export function monthIn(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(now);
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`;
}

/**
 * Asks for a budget check of the period in the caller's transaction (after a sync or a
 * close commits). One pending check per period: a burst of syncs runs it once.
 */
export async function enqueueQuoteBudgetCheck(trx: Transaction<Database>, period: string | null): Promise<void> {
  await enqueueJob(trx, QUOTE_BUDGET_CHECK_TASK, { period }, { jobKey: `${QUOTE_BUDGET_CHECK_TASK}:${period ?? 'current'}`, maxAttempts: 5 });
}

/**
 * `quotes:budget_check`: raise the Azure budget alerts of every customer with a quote for
 * the period, and the spend-cap alerts of trials (new usage is what moves both).
 */
export async function checkQuoteBudgets(payload: QuoteBudgetCheckPayload, ctx: HubContext): Promise<{ period: string; checked: number; raised: number; trialCapsRaised: number }> {
  const period = payload.period ?? monthIn(new Date(), ctx.config.billingTimeZone);
  const budgets = await raiseQuoteBudgetAlerts(ctx.db, period, { timeZone: ctx.config.billingTimeZone });
  return { period, ...budgets, trialCapsRaised: await raiseTrialSpendCapAlerts(ctx.db, { timeZone: ctx.config.billingTimeZone }) };
}
