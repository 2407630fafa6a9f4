import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { Decimal } from '../../engine/decimal.ts';

const Uuid = Type.String({ format: 'uuid' });
const Money = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal string', examples: ['1234.56'] });
const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** Off target means more than this many percentage points from the card's target margin, either way. */
export const MARGIN_TOLERANCE_POINTS = '2';

const MarginRowView = Type.Object({
  customerId: Uuid,
  customerName: Type.String(),
  invoiceId: Uuid,
  currency: Type.String(),
  category: Nullable(Type.String({ description: 'null on the customer’s all-categories row' })),
  cost: Type.String(),
  price: Type.String(),
  margin: Type.String(),
  marginPercent: Nullable(Type.String({ description: 'margin ÷ price × 100' })),
  targetMarginPercent: Nullable(Type.String()),
  deviationPoints: Nullable(Type.String({ description: 'marginPercent − target, in percentage points' })),
  offTarget: Type.Boolean(),
});

const MarginReport = Type.Object({
  period: Period,
  tolerancePoints: Type.String(),
  byCustomerCategory: Type.Array(MarginRowView),
  byCustomer: Type.Array(MarginRowView),
  flags: Type.Array(
    Type.Object({
      customerId: Uuid,
      invoiceId: Uuid,
      lineKind: Type.String(),
      lineId: Type.String({ description: 'usage_lines id or license_lines id' }),
      category: Type.String(),
      rateRuleId: Type.String(),
      cost: Money,
      price: Type.String({ description: 'The rule’s price before rounding' }),
      marginPercent: Nullable(Type.String()),
      targetMarginPercent: Type.String(),
      deviationPoints: Nullable(Type.String()),
      reason: Type.String({ description: 'off_target, or no_price (a line that cost something priced at zero)' }),
    }),
  ),
  flagCount: Type.Integer({ description: 'All off-target lines; `flags` lists the first 1,000 per invoice' }),
});

interface StoredRow {
  category: string | null;
  cost: string;
  price: string;
  margin: string;
  marginPercent: string | null;
  targetMarginPercent: string | null;
  deviationPoints: string | null;
}

export function reportRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.get(
    '/v1/reports/margin',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'auditor'] } },
      schema: {
        tags: ['reports'],
        summary: "Margin per customer and category for a closed period, against each rate card's target, with the off-target lines",
        description:
          "From the close's persisted results (the issued invoices of the period): this period's charges, Microsoft's cost converted to the invoice currency, " +
          `margin % = margin ÷ price × 100. A row or line more than ${MARGIN_TOLERANCE_POINTS} points from its card's target is off target.`,
        querystring: Type.Object({ period: Period, customerId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: MarginReport },
      },
    },
    async (request) => {
      const { period, customerId } = request.query;
      let q = ctx.db
        .selectFrom('invoices as i')
        .innerJoin('customers as c', 'c.id', 'i.customer_id')
        .select(['i.id', 'i.customer_id', 'c.name as customer_name', 'i.currency', 'i.margin', 'i.margin_flag_count'])
        .where('i.period', '=', period)
        .where('i.status', '=', 'issued');
      if (customerId) q = q.where('i.customer_id', '=', customerId);
      const invoices = await q.orderBy('c.name').orderBy('i.customer_id').execute();
      const tolerance = new Decimal(MARGIN_TOLERANCE_POINTS);
      const view = (inv: (typeof invoices)[number], row: StoredRow) => ({
        customerId: inv.customer_id,
        customerName: inv.customer_name,
        invoiceId: inv.id,
        currency: inv.currency,
        category: row.category,
        cost: row.cost,
        price: row.price,
        margin: row.margin,
        marginPercent: row.marginPercent,
        targetMarginPercent: row.targetMarginPercent,
        deviationPoints: row.deviationPoints,
        offTarget: row.deviationPoints !== null && new Decimal(row.deviationPoints).abs().greaterThan(tolerance),
      });
      const byCustomerCategory = invoices.flatMap((inv) => ((inv.margin as unknown as { byCategory: StoredRow[] }).byCategory ?? []).map((row) => view(inv, row)));
      const byCustomer = invoices.flatMap((inv) => {
        const total = (inv.margin as unknown as { total: StoredRow | null }).total;
        return total ? [view(inv, total)] : [];
      });
      const flagRows =
        invoices.length === 0
          ? []
          : await ctx.db
              .selectFrom('invoice_margin_flags')
              .selectAll()
              .where('invoice_id', 'in', invoices.map((i) => i.id))
              .orderBy('invoice_id')
              .orderBy('id')
              .execute();
      const customerOf = new Map(invoices.map((i) => [i.id, i.customer_id]));
      return {
        period,
        tolerancePoints: MARGIN_TOLERANCE_POINTS,
        byCustomerCategory,
        byCustomer,
        flags: flagRows.map((f) => ({
          customerId: customerOf.get(f.invoice_id)!,
          invoiceId: f.invoice_id,
          lineKind: f.line_kind,
          lineId: f.line_id,
          category: f.category,
          rateRuleId: f.rate_rule_id,
          cost: f.cost,
          price: f.price,
          marginPercent: f.margin_percent,
          targetMarginPercent: f.target_margin_percent,
          deviationPoints: f.deviation_points,
          reason: f.reason,
        })),
        flagCount: invoices.reduce((n, i) => n + i.margin_flag_count, 0),
      };
    },
  );
}
