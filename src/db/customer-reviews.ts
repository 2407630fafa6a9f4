import { sql, type Transaction } from 'kysely';
import { daysInclusive } from '../engine/dates.ts';
import { reviewDueAfter, type ReviewCadence } from '../engine/review-cadence.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Db } from './database.ts';
import type { Database } from './types.ts';

// Account reviews: a customer whose onboarding template set a review cadence is due a
// review one cadence after its latest review, or after its onboarding (the close date of
// its first quote that applied a template) before the first. Recording a review is what
// moves the next due date on; a missed review stays due, and overdue, until one is recorded.

/** Where a customer with a review cadence stands. */
export interface ReviewSchedule {
  customerId: string;
  customerName: string;
  cadence: ReviewCadence;
  onboardedOn: string;
  lastReviewedOn: string | null;
  nextDueOn: string;
}

/**
 * Every customer with a review cadence and an onboarding date (or one customer), with its
 * latest review and next due date, soonest due first.
 */
export async function reviewSchedules(db: Db, options: { timeZone: string; customerId?: string }): Promise<ReviewSchedule[]> {
  const only = options.customerId ? sql`and c.id = ${options.customerId}::uuid` : sql``;
  const { rows } = await sql<{ customer_id: string; customer_name: string; cadence: ReviewCadence; onboarded_on: string | null; last_reviewed_on: string | null }>`
    select c.id as customer_id, c.name as customer_name, c.review_cadence as cadence,
      (select to_char(coalesce(q.closed_at, q.created_at) at time zone ${options.timeZone}, 'YYYY-MM-DD')
         from quotes q where q.customer_id = c.id and q.onboarding_template is not null
         order by q.created_at, q.revision limit 1) as onboarded_on,
      (select to_char(max(r.reviewed_on), 'YYYY-MM-DD') from customer_reviews r where r.customer_id = c.id) as last_reviewed_on
    from customers c
    where c.review_cadence is not null ${only}`.execute(db);
  return rows
    .filter((r) => r.onboarded_on !== null)
    .map((r) => ({
      customerId: r.customer_id,
      customerName: r.customer_name,
      cadence: r.cadence,
      onboardedOn: r.onboarded_on!,
      lastReviewedOn: r.last_reviewed_on,
      nextDueOn: reviewDueAfter(r.last_reviewed_on ?? r.onboarded_on!, r.cadence),
    }))
    .sort((a, b) => (a.nextDueOn !== b.nextDueOn ? (a.nextDueOn < b.nextDueOn ? -1 : 1) : a.customerName < b.customerName ? -1 : a.customerName > b.customerName ? 1 : 0));
}

/** A schedule as of a day: due on it, or overdue by how many days. */
export function dueState(schedule: ReviewSchedule, asOf: string): { overdue: boolean; daysOverdue: number } {
  const overdue = schedule.nextDueOn < asOf;
  return { overdue, daysOverdue: overdue ? daysInclusive(schedule.nextDueOn, asOf) - 1 : 0 };
}

export interface RecordedReview {
  id: string;
  customerId: string;
  reviewedOn: string;
  dueOn: string;
  cadence: ReviewCadence;
  notes: string | null;
  recordedBy: string;
  createdAt: Date;
}

/** Why a review cannot be recorded, naming the field at fault. */
export class ReviewRefused extends Error {
  readonly field: string | null;
  constructor(field: string | null, message: string) {
    super(message);
    this.field = field;
  }
}

/**
 * Records a review held on `reviewedOn` as the answer to the customer's review due then,
 * audited. Refused when the customer has no review cadence, or the day is before its
 * onboarding or its latest review, or after `today`.
 */
export async function recordReview(
  trx: Transaction<Database>,
  input: { customerId: string; reviewedOn: string; notes: string | null; today: string; timeZone: string },
  actor: ActorContext,
): Promise<{ review: RecordedReview; schedule: ReviewSchedule }> {
  // The customer's row lock serialises reviews of one customer, so two at once cannot answer the same due date.
  await trx.selectFrom('customers').select('id').where('id', '=', input.customerId).forUpdate().executeTakeFirst();
  const [before] = await reviewSchedules(trx, { timeZone: input.timeZone, customerId: input.customerId });
  if (!before) throw new ReviewRefused(null, 'the customer has no review cadence: no onboarding template with one was applied to it');
  if (input.reviewedOn > input.today) throw new ReviewRefused('reviewedOn', `${input.reviewedOn} is after today (${input.today}): record a review once it is held`);
  if (input.reviewedOn < before.onboardedOn) throw new ReviewRefused('reviewedOn', `${input.reviewedOn} is before the customer's onboarding on ${before.onboardedOn}`);
  if (before.lastReviewedOn && input.reviewedOn < before.lastReviewedOn) {
    throw new ReviewRefused('reviewedOn', `${input.reviewedOn} is before the latest review recorded, on ${before.lastReviewedOn}`);
  }
  const row = await trx
    .insertInto('customer_reviews')
    .values({ customer_id: input.customerId, reviewed_on: input.reviewedOn, due_on: before.nextDueOn, cadence: before.cadence, notes: input.notes, recorded_by: actor.actor })
    .returningAll()
    .executeTakeFirstOrThrow();
  const review: RecordedReview = {
    id: row.id,
    customerId: row.customer_id,
    reviewedOn: row.reviewed_on,
    dueOn: row.due_on,
    cadence: row.cadence as ReviewCadence,
    notes: row.notes,
    recordedBy: row.recorded_by,
    createdAt: row.created_at,
  };
  const schedule = { ...before, lastReviewedOn: review.reviewedOn, nextDueOn: reviewDueAfter(review.reviewedOn, before.cadence) };
  await writeAudit(trx, {
    ...actor,
    action: 'customer.review',
    entity: 'customer',
    entityId: input.customerId,
    before: { lastReviewedOn: before.lastReviewedOn, nextDueOn: before.nextDueOn },
    after: { reviewId: review.id, reviewedOn: review.reviewedOn, answeredDueOn: review.dueOn, notes: review.notes, nextDueOn: schedule.nextDueOn },
  });
  return { review, schedule };
}
