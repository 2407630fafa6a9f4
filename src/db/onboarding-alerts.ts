import { sql, type Selectable } from 'kysely';
import { addDays } from '../engine/dates.ts';
import { Decimal } from '../engine/decimal.ts';
import { nextReviewDue } from '../engine/review-cadence.ts';
import { alertRaised, publishEvent } from '../notifications/events.ts';
import { reviewSchedules } from './customer-reviews.ts';
import type { Db } from './database.ts';
import { trialSpend } from './trial-spend.ts';
import type { AlertsTable } from './types.ts';

// What a won deal's onboarding template stored, made to act through the alerts every
// other check raises (and their alert.raised notifications): a review reminder before each
// review the customer's cadence puts due, a trial's spend passing its cap, and a trial's
// conversion date drawing near. Each is raised once per customer and key (migration 0031).

export const REVIEW_DUE_ALERT = 'onboarding.review_due';
export const TRIAL_SPEND_CAP_ALERT = 'trial.spend_cap';
export const TRIAL_CONVERSION_ALERT = 'trial.conversion_due';

/** How many days ahead a review or a trial's conversion is announced. */
export const REMINDER_DAYS = 7;

interface OnceAlert {
  kind: typeof REVIEW_DUE_ALERT | typeof TRIAL_SPEND_CAP_ALERT | typeof TRIAL_CONVERSION_ALERT;
  severity: 'info' | 'warning' | 'critical';
  customerId: string;
  message: string;
  /** What makes it one: the review's due date, or the trial quote. */
  key: string;
  detail: Record<string, unknown>;
}

async function raiseOnce(db: Db, alert: OnceAlert): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const detail = JSON.stringify({ key: alert.key, ...alert.detail });
    const { rows } = await sql<Selectable<AlertsTable>>`
      insert into alerts (kind, severity, customer_id, message, detail)
      values (${alert.kind}, ${alert.severity}, ${alert.customerId}::uuid, ${alert.message}, ${detail}::jsonb)
      on conflict (customer_id, kind, (detail ->> 'key')) where kind in ('onboarding.review_due', 'trial.spend_cap', 'trial.conversion_due') do nothing
      returning *`.execute(trx);
    if (rows[0]) await publishEvent(trx, alertRaised(rows[0]));
    return rows.length > 0;
  });
}

/** The latest quote revision of each customer that is a trial (a later non-trial revision ends the trial). */
async function currentTrials(db: Db, timeZone: string, customerId?: string) {
  const only = customerId ? sql`and q.customer_id = ${customerId}::uuid` : sql``;
  const { rows } = await sql<{ quote_id: string; customer_id: string; customer_name: string; currency: string; cap: string; starts_on: string; converts_on: string }>`
    select * from (
      select distinct on (q.customer_id) q.id as quote_id, q.customer_id, c.name as customer_name, q.currency, q.trial_spend_cap::text as cap,
        to_char(coalesce(q.closed_at, q.created_at) at time zone ${timeZone}, 'YYYY-MM-DD') as starts_on,
        to_char(q.trial_conversion_date, 'YYYY-MM-DD') as converts_on
      from quotes q join customers c on c.id = q.customer_id
      where true ${only}
      order by q.customer_id, q.created_at desc, q.revision desc
    ) latest
    where cap is not null`.execute(db);
  return rows;
}

/**
 * A critical alert when a trial customer's spend since the trial began (from the close
 * date up to the conversion date, Azure usage and licences at the price it is billed:
 * see trial-spend.ts) passes the trial's spend cap. Safe after every sync.
 */
export async function raiseTrialSpendCapAlerts(db: Db, options: { timeZone: string; customerId?: string }): Promise<number> {
  let raised = 0;
  for (const trial of await currentTrials(db, options.timeZone, options.customerId)) {
    const spend = await trialSpend(db, trial.customer_id, { from: trial.starts_on, to: trial.converts_on }, trial.currency);
    const cap = new Decimal(trial.cap);
    if (spend.total.lte(cap)) continue;
    const atCost = spend.unpricedLines > 0 ? ` (${spend.atCost.toFixed(2)} of it at Microsoft's cost: no approved rate card prices ${spend.unpricedLines} line(s) yet)` : '';
    const message = `${trial.customer_name}: trial spend ${spend.total.toFixed(2)} ${trial.currency} since ${trial.starts_on} has passed the trial's cap of ${cap.toFixed(2)}${atCost}`;
    const detail = {
      quoteId: trial.quote_id,
      currency: trial.currency,
      cap: cap.toFixed(2),
      spend: spend.total.toFixed(2),
      priced: spend.priced.toFixed(2),
      atCost: spend.atCost.toFixed(2),
      usageLines: spend.usageLines,
      licenceLines: spend.licenceLines,
      unpricedLines: spend.unpricedLines,
      startsOn: trial.starts_on,
      convertsOn: trial.converts_on,
    };
    if (await raiseOnce(db, { kind: TRIAL_SPEND_CAP_ALERT, severity: 'critical', customerId: trial.customer_id, message, key: trial.quote_id, detail })) raised++;
  }
  return raised;
}

/** A warning from REMINDER_DAYS before a trial's conversion date on (also when the date has passed and the trial is still one). */
export async function raiseTrialConversionReminders(db: Db, options: { timeZone: string; today: string }): Promise<number> {
  let raised = 0;
  for (const trial of await currentTrials(db, options.timeZone)) {
    if (options.today < addDays(trial.converts_on, -REMINDER_DAYS)) continue;
    const when = options.today > trial.converts_on ? `was due on ${trial.converts_on}` : `is due on ${trial.converts_on}`;
    const message = `${trial.customer_name}: the trial's conversion ${when}; convert it to a paid agreement or end it`;
    if (await raiseOnce(db, { kind: TRIAL_CONVERSION_ALERT, severity: 'warning', customerId: trial.customer_id, message, key: trial.quote_id, detail: { quoteId: trial.quote_id, convertsOn: trial.converts_on } })) raised++;
  }
  return raised;
}

/**
 * An info alert REMINDER_DAYS before each review the customer's cadence puts due, counted
 * from its latest recorded review, or from its onboarding before the first (see
 * customer-reviews.ts).
 */
export async function raiseReviewReminders(db: Db, options: { timeZone: string; today: string }): Promise<number> {
  let raised = 0;
  for (const c of await reviewSchedules(db, { timeZone: options.timeZone })) {
    const due = nextReviewDue(c.lastReviewedOn ?? c.onboardedOn, c.cadence, options.today);
    if (options.today < addDays(due, -REMINDER_DAYS)) continue;
    const message = `${c.customerName}: ${c.cadence} account review due on ${due}`;
    const detail = { dueOn: due, cadence: c.cadence, onboardedOn: c.onboardedOn, lastReviewedOn: c.lastReviewedOn };
    if (await raiseOnce(db, { kind: REVIEW_DUE_ALERT, severity: 'info', customerId: c.customerId, message, key: due, detail })) raised++;
  }
  return raised;
}
