import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { Decimal } from '../../engine/decimal.ts';
import { actorOf } from '../plugins/auth.ts';
import { PageQuery, decodeCursor, encodeCursor, pageOf } from '../pagination.ts';
import { invalidFields, type FieldError } from '../problem.ts';
import { CurrencyCode, IsoDate, Timestamp, UnsignedDecimalString, Uuid, decimalStringsOnly } from '../wire-types.ts';

// Exchange rates by source and date. Rate cards priced with `market` rates read them
// (latest on or before each line's date); a close freezes the ones it used.

const Source = Type.Enum(['market', 'fixed', 'microsoft']);

export const FxRate = Type.Object(
  {
    id: Uuid,
    source: Source,
    from: Type.String(),
    to: Type.String(),
    rate: Type.String({ description: 'Units of `to` per one `from`' }),
    date: Type.String({ format: 'date', description: 'The day the rate is valid from' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'FxRate' },
);

const FxRateInput = Type.Object(
  {
    source: Source,
    from: CurrencyCode,
    to: CurrencyCode,
    rate: UnsignedDecimalString({ description: 'Units of `to` per one `from`; more than 0', examples: ['1.0842'] }),
    date: IsoDate,
  },
  { additionalProperties: false },
);

const FxRateBatch = Type.Array(FxRateInput, { minItems: 1, maxItems: 5000 });

type FxRateRow = Selectable<Database['fx_rates']>;

function toFxRate(row: FxRateRow): Static<typeof FxRate> {
  return {
    id: row.id,
    source: row.source as Static<typeof FxRate>['source'],
    from: row.from_currency,
    to: row.to_currency,
    rate: row.rate,
    date: row.rate_date,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const keyOf = (r: { source: string; from: string; to: string; date: string }) => `${r.source}|${r.from}|${r.to}|${r.date}`;
const BATCH = 1000;

export function fxRateRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v1/fx-rates',
    {
      config: { auth: { roles: ['finance', 'admin'] }, idempotent: true },
      preValidation: decimalStringsOnly(FxRateBatch),
      schema: {
        tags: ['fx-rates'],
        summary: 'Record exchange rates in bulk; a rate with the same source, pair and date replaces the stored one',
        body: FxRateBatch,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('FxRate')) }) },
      },
    },
    async (request) => {
      const rates = request.body;
      const errors: FieldError[] = [];
      const seen = new Map<string, number>();
      rates.forEach((rate, i) => {
        if (rate.from === rate.to) errors.push({ field: `${i}.to`, reason: 'must differ from `from`' });
        if (new Decimal(rate.rate).isZero()) errors.push({ field: `${i}.rate`, reason: 'must be more than 0' });
        const first = seen.get(keyOf(rate));
        if (first !== undefined) errors.push({ field: `${i}.date`, reason: `repeats the source, pair and date of item ${first}` });
        else seen.set(keyOf(rate), i);
      });
      if (errors.length > 0) {
        throw invalidFields(errors);
      }

      const written = await ctx.db.transaction().execute(async (trx) => {
        const before: Static<typeof FxRate>[] = [];
        const after: Static<typeof FxRate>[] = [];
        for (let start = 0; start < rates.length; start += BATCH) {
          const batch = rates.slice(start, start + BATCH);
          const existing = await trx
            .selectFrom('fx_rates')
            .selectAll()
            .where((eb) =>
              eb(
                eb.refTuple('source', 'from_currency', 'to_currency', 'rate_date'),
                'in',
                batch.map((rate) => eb.tuple(rate.source, rate.from, rate.to, rate.date)),
              ),
            )
            .execute();
          before.push(...existing.map(toFxRate));
          const rows = await trx
            .insertInto('fx_rates')
            .values(batch.map((rate) => ({ source: rate.source, from_currency: rate.from, to_currency: rate.to, rate: rate.rate, rate_date: rate.date })))
            .onConflict((oc) => oc.columns(['source', 'from_currency', 'to_currency', 'rate_date']).doUpdateSet((eb) => ({ rate: eb.ref('excluded.rate') })))
            .returningAll()
            .execute();
          after.push(...rows.map(toFxRate));
        }
        await writeAudit(trx, { ...actorOf(request), action: 'fx_rate.upsert', entity: 'fx_rate', entityId: null, before, after });
        return after;
      });
      return { items: written };
    },
  );

  r.get(
    '/v1/fx-rates',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['fx-rates'],
        summary: 'Exchange rates, latest date first',
        querystring: Type.Object(
          {
            ...PageQuery,
            from: Type.Optional(CurrencyCode),
            to: Type.Optional(CurrencyCode),
            source: Type.Optional(Source),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('FxRate')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, from, to, source } = request.query;
      // Keyset on (rate_date, id): the cursor carries the last row's date in its timestamp slot.
      const position = decodeCursor(cursor);
      let query = ctx.db.selectFrom('fx_rates').selectAll();
      if (from) query = query.where('from_currency', '=', from);
      if (to) query = query.where('to_currency', '=', to);
      if (source) query = query.where('source', '=', source);
      if (position) {
        const day = position.createdAt.toISOString().slice(0, 10);
        query = query.where((eb) => eb(eb.refTuple('rate_date', 'id'), '<', eb.tuple(day, position.id)));
      }
      const rows = await query.orderBy('rate_date', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(toFxRate),
        nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: new Date(`${last.rate_date}T00:00:00Z`), id: last.id }) : null,
      };
    },
  );
}
