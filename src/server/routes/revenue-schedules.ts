import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { Decimal } from '../../engine/decimal.ts';
import { EngineError } from '../../engine/errors.ts';
import { minorUnits } from '../../engine/money.ts';
import { RECOGNITION_PATTERNS, recognitionSchedule, type RecognitionPattern } from '../../engine/revenue-schedule.ts';
import { badRequest } from '../problem.ts';
import { CurrencyCode, DecimalString, IsoDate, decimalStringsOnly } from '../wire-types.ts';

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

export function revenueScheduleRoutes(app: FastifyInstance, _ctx: HubContext): void {
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
}
