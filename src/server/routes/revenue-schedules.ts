import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { Decimal } from '../../engine/decimal.ts';
import { EngineError } from '../../engine/errors.ts';
import { minorUnits } from '../../engine/money.ts';
import { RECOGNITION_PATTERNS, recognitionSchedule, type RecognitionPattern } from '../../engine/revenue-schedule.ts';
import { loadScheduleViews, type ScheduleView } from '../../db/revenue-schedule-views.ts';
import { Period } from '../invoice-views.ts';
import { decodeCursor, PageQuery, pageOf, paginate } from '../pagination.ts';
import { badRequest, notFound } from '../problem.ts';
import { CurrencyCode, DecimalString, IsoDate, Timestamp, Uuid, decimalStringsOnly } from '../wire-types.ts';

// ASC 606 revenue schedules. The preview runs the same engine the posting jobs use and
// writes nothing, so finance can check a recognition policy before anything posts.

const PreviewBody = Type.Object(
  {
    total: DecimalString({ description: "The amount to recognise, in whole minor units of the currency (no more decimals than it allows)", examples: ['1200.00'] }),
    currency: CurrencyCode,
    serviceStart: { ...IsoDate, description: 'First day of service, inclusive' },
    serviceEnd: { ...IsoDate, description: 'Last day of service, inclusive' },
    pattern: Type.Enum([...RECOGNITION_PATTERNS], {
      description: "'ratable-daily': by day over the term (upfront terms, reservations); 'monthly': equal shares per calendar month; 'point-in-time': all in the month the service ends (usage)",
    }),
  },
  { additionalProperties: false },
);

const PreviewAnswer = Type.Object({
  entries: Type.Array(Type.Object({ period: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' }), amount: Type.String({ description: "Decimal string with the currency's minor-unit places" }) })),
});

const Money = Type.String({ description: "Decimal string with the currency's minor-unit places" });

const ScheduleSchema = Type.Object({
  id: Uuid,
  customerId: Uuid,
  invoiceId: Uuid,
  invoiceNumber: Type.String(),
  invoiceLineId: { ...Uuid, description: 'The invoice line the schedule came from (lineage)' },
  linePosition: Type.Integer(),
  description: Type.String(),
  currency: Type.String(),
  pattern: Type.Enum([...RECOGNITION_PATTERNS]),
  serviceStart: IsoDate,
  serviceEnd: IsoDate,
  total: Money,
  deferred: Type.Boolean({ description: 'Posted to deferred revenue at invoicing and recognised by the period journals; otherwise recognised on the invoice itself' }),
  status: Type.Enum(['active', 'ended'], { description: 'ended: a cancellation or refund cut it short, a revision of its invoice superseded it, or it is the refund that did' }),
  endedOn: Type.Union([IsoDate, Type.Null()], { description: 'The last day of service after a cancellation' }),
  reversedAmount: { ...Money, description: 'What the schedule never recognises because a cancellation or refund reversed it (negative on the refund that settles it); entries + reversedAmount = total' },
  reversesScheduleId: Type.Union([Uuid, Type.Null()], { description: 'On a refund: the schedule it ended' }),
  subscriptionId: Type.Union([Type.String(), Type.Null()]),
  licenseLineIds: Type.Array(Uuid, { description: 'The licence reconciliation lines behind it (lineage)' }),
  entries: Type.Array(
    Type.Object({
      period: Period,
      amount: Money,
      status: Type.Enum(['recognised', 'pending', 'reversed', 'carried'], {
        description: 'carried: a period the superseded revision had journaled; recognised through that journal and this schedule\'s catch-up',
      }),
      catchUp: Type.Boolean({ description: 'The difference a revision or cancellation made to periods already journaled, recognised in the next journal' }),
      journals: Type.Array(Type.Object({ journalId: Uuid, system: Type.String(), number: Type.String(), documentId: Type.Union([Type.String(), Type.Null()], { description: "The ERP's id of the posted journal" }) })),
    }),
  ),
  createdAt: Timestamp,
});

const wireOf = (s: ScheduleView) => ({ ...s, pattern: s.pattern as RecognitionPattern, status: s.status as 'active', createdAt: s.createdAt.toISOString() });

export function revenueScheduleRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v1/revenue-schedules/preview',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      preValidation: decimalStringsOnly(PreviewBody),
      schema: {
        tags: ['revenue'],
        summary: 'Compute the recognition schedule of an amount under a pattern, writing nothing',
        body: PreviewBody,
        response: { 200: PreviewAnswer },
      },
    },
    async (request) => {
      const { total, currency, serviceStart, serviceEnd, pattern } = request.body;
      try {
        const entries = recognitionSchedule({ total: new Decimal(total), currency, serviceStart, serviceEnd, pattern: pattern as RecognitionPattern });
        return { entries: entries.map((e) => ({ period: e.period, amount: e.amount.toFixed(minorUnits(currency)) })) };
      } catch (err) {
        if (err instanceof EngineError) throw badRequest(err.code === 'unknown_currency' ? 'currency' : String(err.details.field ?? 'body'), err.message);
        throw err;
      }
    },
  );

  r.get(
    '/v1/revenue-schedules',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['revenue'],
        summary: "Stored revenue schedules (written when an invoice is posted to an ERP), a customer's and/or those recognising in a period, newest first",
        querystring: Type.Object(
          { ...PageQuery, customerId: Type.Optional(Uuid), period: Type.Optional({ ...Period, description: 'Only schedules with an entry in this month' }) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(ScheduleSchema) },
      },
    },
    async (request) => {
      const { customerId, period, cursor } = request.query;
      const limit = request.query.limit ?? 50;
      const before = decodeCursor(cursor);
      const rows = await loadScheduleViews(ctx.db, { ...(customerId ? { customerId } : {}), ...(period ? { period } : {}), ...(before ? { before } : {}), limit: limit + 1 });
      const page = paginate(rows.map((s) => ({ ...s, created_at: s.createdAt })), limit);
      return { items: page.rows.map(({ created_at: _, ...s }) => wireOf(s)), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/revenue-schedules/:id',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['revenue'],
        summary: 'One revenue schedule: its entries per period (amount, recognised/pending/reversed, the journal that posted it) and its lineage',
        params: Type.Object({ id: Uuid }),
        response: { 200: ScheduleSchema },
      },
    },
    async (request) => {
      const [schedule] = await loadScheduleViews(ctx.db, { id: request.params.id });
      if (!schedule) throw notFound('revenue schedule', request.params.id);
      return wireOf(schedule);
    },
  );
}
