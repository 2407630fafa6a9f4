import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { quoteVariance, type CustomerQuoteVariance } from '../../db/quote-variance.ts';
import { CurrencyCode, DecimalString, Uuid } from '../wire-types.ts';

const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const QuoteVarianceRow = Type.Object(
  {
    customerId: Uuid,
    customerName: Type.String(),
    quoteId: Uuid,
    dealId: Uuid,
    revision: Type.Integer({ description: "The customer's newest quote revision, the one compared" }),
    currency: CurrencyCode,
    seatsSource: Type.Enum(['license_lines', 'subscriptions', 'none'], {
      description: "Where Microsoft's seats come from: the period's licence lines (each subscription's latest charge line), else the active subscriptions as last synced",
    }),
    seats: Type.Array(
      Type.Object({
        sku: Type.String({ description: 'ProductId:SkuId' }),
        quoted: DecimalString(),
        microsoft: DecimalString(),
        difference: DecimalString({ description: 'microsoft − quoted' }),
      }),
    ),
    azure: Type.Object({
      budget: DecimalString({ description: 'The quoted monthly Azure amount' }),
      thresholdPercents: Type.Array(Type.Integer(), { description: "The quote's alert thresholds, % of the budget (110 and 120 by default)" }),
      cost: Nullable(DecimalString({ description: "Microsoft's Azure cost of the period (BillingPreTaxTotal), in the quote's currency; null when Microsoft bills in another" })),
      costCurrencies: Type.Array(Type.String(), { description: 'The billing currencies of the usage lines' }),
      costPercent: Nullable(DecimalString({ description: 'cost ÷ budget × 100, 2 places' })),
      thresholdsPassed: Type.Array(Type.Object({ percent: Type.Integer(), severity: Type.Enum(['warning', 'critical']) }), {
        description: 'Thresholds the cost is above (strictly); the highest threshold is critical, the others warnings',
      }),
      invoiceId: Nullable(Uuid),
      price: Nullable(DecimalString({ description: "Azure charges of the period's issued invoice (lines priced from usage); null until the period is closed" })),
      pricePercent: Nullable(DecimalString({ description: 'price ÷ budget × 100, 2 places' })),
    }),
    flags: Type.Array(
      Type.Object({
        type: Type.Enum(['seats_above_quote', 'seats_below_quote', 'azure_budget_passed', 'azure_currency_differs']),
        severity: Type.Enum(['info', 'warning', 'critical']),
        sku: Type.Optional(Type.String()),
        thresholdPercent: Type.Optional(Type.Integer({ description: 'The highest threshold passed' })),
        detail: Type.String(),
      }),
    ),
  },
  { $id: 'QuoteVarianceRow' },
);
type QuoteVarianceView = Static<typeof QuoteVarianceRow>;

/** A customer's variance as the API shows it. */
export function quoteVarianceView(v: CustomerQuoteVariance): QuoteVarianceView {
  const pct = (d: { toFixed(n: number): string } | null) => (d === null ? null : d.toFixed(2));
  return {
    customerId: v.customerId,
    customerName: v.customerName,
    quoteId: v.quoteId,
    dealId: v.dealId,
    revision: v.revision,
    currency: v.currency,
    seatsSource: v.seatsSource,
    seats: v.seats.map((s) => ({ sku: s.sku, quoted: s.quoted.toString(), microsoft: s.microsoft.toString(), difference: s.difference.toString() })),
    azure: {
      budget: v.azure.budget.toString(),
      thresholdPercents: v.azure.thresholdPercents,
      cost: v.azure.cost?.toString() ?? null,
      costCurrencies: v.azure.costCurrencies,
      costPercent: pct(v.azure.costPercent),
      thresholdsPassed: v.azure.passed,
      invoiceId: v.azure.invoiceId,
      price: v.azure.price?.toString() ?? null,
      pricePercent: pct(v.azure.pricePercent),
    },
    flags: v.flags,
  };
}

/** Quoted against actual, per customer with a won CRM quote. */
export function quoteVarianceRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/reports/quote-variance',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['crm'],
        summary: "Quoted against actual for a period: each quoted customer's seats per SKU against Microsoft's, and its Azure budget against Microsoft's cost and the invoiced price",
        description:
          "Per customer with a won CRM quote (its newest revision won by the end of the period): Microsoft's seats per SKU from the period's licence lines (each subscription's latest charge line; " +
          "before any, the active subscriptions), the period's Azure cost from the daily usage lines, and once the period is closed the Azure charges of its issued invoice. " +
          "Flags a seat count that differs from the quote and an Azure cost above the quote's thresholds (110 % warning, 120 % critical by default).",
        querystring: Type.Object({ period: Period, customerId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            period: Period,
            customers: Type.Array(Type.Ref('QuoteVarianceRow')),
            flagged: Type.Integer({ description: 'Customers with at least one flag' }),
          }),
        },
      },
    },
    async (request) => {
      const { period, customerId } = request.query;
      const rows = (await quoteVariance(ctx.db, period, { timeZone: ctx.config.billingTimeZone, customerId })).map(quoteVarianceView);
      return { period, customers: rows, flagged: rows.filter((r) => r.flags.length > 0).length };
    },
  );
}
