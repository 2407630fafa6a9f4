import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { dueState, recordReview, reviewSchedules, ReviewRefused, type ReviewSchedule } from '../../db/customer-reviews.ts';
import { REVIEW_CADENCES } from '../../db/onboarding-templates.ts';
import { todayIn } from '../../engine/dates.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../problem.ts';
import { IsoDate, Timestamp, Uuid } from '../wire-types.ts';

// Account reviews the onboarding templates' review cadence puts due: which customers are
// due or overdue, and recording a review held (audited), which moves the next due date on.

const Cadence = Type.Enum([...REVIEW_CADENCES]);
const scheduleFields = {
  customerId: Uuid,
  customerName: Type.String(),
  cadence: Cadence,
  onboardedOn: Type.String({ format: 'date', description: "Close date of the customer's first quote that applied an onboarding template" }),
  lastReviewedOn: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'The latest review recorded; null before the first' }),
  nextDueOn: Type.String({ format: 'date', description: 'One cadence after the latest review (before the first, after onboarding)' }),
};
export const DueReview = Type.Object(
  {
    ...scheduleFields,
    overdue: Type.Boolean({ description: 'The review was due before the date asked about' }),
    daysOverdue: Type.Integer({ minimum: 0 }),
  },
  { $id: 'DueReview' },
);
const RecordedReview = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    reviewedOn: Type.String({ format: 'date' }),
    dueOn: Type.String({ format: 'date', description: 'The due date this review answered' }),
    cadence: Cadence,
    notes: Type.Union([Type.String(), Type.Null()]),
    recordedBy: Type.String({ description: 'key:<api key id>' }),
    createdAt: Timestamp,
    nextDueOn: Type.String({ format: 'date', description: 'The next review, one cadence after this one' }),
  },
  { $id: 'CustomerReview' },
);

function dueView(s: ReviewSchedule, asOf: string): Static<typeof DueReview> {
  return { ...s, ...dueState(s, asOf) };
}

export function customerReviewRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(DueReview);
  app.addSchema(RecordedReview);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const today = () => todayIn(ctx.config.billingTimeZone);

  r.get(
    '/v1/customer-reviews',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['customers'],
        summary: 'Customers whose account review (the cadence their onboarding template set) is due on or before a date, most overdue first',
        querystring: Type.Object(
          { due: Type.Optional({ ...IsoDate, description: 'List reviews due on or before this day (default today, billing time zone); overdue ones were due before it' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ due: Type.String({ format: 'date' }), items: Type.Array(Type.Ref('DueReview')) }) },
      },
    },
    async (request) => {
      const due = request.query.due ?? today();
      const schedules = await reviewSchedules(ctx.db, { timeZone: ctx.config.billingTimeZone });
      return { due, items: schedules.filter((s) => s.nextDueOn <= due).map((s) => dueView(s, due)) };
    },
  );

  r.post(
    '/v1/customers/:id/reviews',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops'] }, idempotent: true },
      schema: {
        tags: ['customers'],
        summary: "Record an account review held with the customer (audited): it answers the review due and moves the next one a cadence on from this review's date",
        params: Type.Object({ id: Uuid }),
        body: Type.Object(
          {
            reviewedOn: Type.Optional({ ...IsoDate, description: 'The day the review was held (default today, billing time zone); not in the future, not before the latest review' }),
            notes: Type.Optional(Type.String({ maxLength: 4000, description: 'What was agreed, kept with the review and in the audit trail' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Ref('CustomerReview') },
      },
    },
    async (request, reply) => {
      const customerId = request.params.id;
      const exists = await ctx.db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
      if (!exists) throw notFound('customer', customerId);
      const notes = request.body.notes?.trim() || null;
      try {
        const { review, schedule } = await ctx.db
          .transaction()
          .execute((trx) =>
            recordReview(trx, { customerId, reviewedOn: request.body.reviewedOn ?? today(), notes, today: today(), timeZone: ctx.config.billingTimeZone }, actorOf(request)),
          );
        return reply.code(201).send({ ...review, createdAt: review.createdAt.toISOString(), nextDueOn: schedule.nextDueOn });
      } catch (error) {
        if (!(error instanceof ReviewRefused)) throw error;
        throw error.field ? badRequest(error.field, error.message) : conflict(error.message);
      }
    },
  );
}
