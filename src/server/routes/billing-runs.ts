import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { Decimal, HUNDRED } from '../../engine/decimal.ts';
import type { StoredTagCompliance } from '../../jobs/billing/close-customer.ts';
import { startBillingRun, type BillingRunRow } from '../../jobs/billing/start-run.ts';
import { quoteVariance } from '../../db/quote-variance.ts';
import { quoteVarianceView } from './quote-variance.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, decodeIdCursor, pageOf, paginate, paginateById } from '../pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const Money = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal string', examples: ['1234.56'] });
const NullableMoney = Type.Union([Money, Type.Null()]);
const Period = Type.String({ pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$', description: 'Billing month, YYYY-MM', examples: ['2026-10'] });
const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);

const CurrencyTotals = Type.Object({
  currency: Type.String(),
  customers: Type.Integer(),
  cost: Money,
  price: Money,
  margin: Money,
  marginPercent: Nullable(Type.String({ description: 'margin ÷ price × 100, 4 decimals' })),
  unallocated: Money,
});

const CustomerTagCompliance = Type.Object(
  {
    requiredTags: Type.Array(Type.String(), { description: 'Tag keys every usage line must carry with a non-blank value (keys compare case-insensitively)' }),
    source: Type.Union([Type.Literal('customer'), Type.Literal('allocation_rules'), Type.Literal('none')], {
      description: "customer: the customer's requiredTags; allocation_rules: not set, so the tag keys its allocation rules match on; none: neither, nothing to check",
    }),
    currency: Nullable(Type.String({ description: "The usage lines' billing currency" })),
    totalCost: Money,
    compliantCost: NullableMoney,
    share: Nullable(Type.String({ description: 'compliantCost ÷ totalCost (0..1), 6 decimals; null when nothing is required or there is no cost' })),
    nonCompliantLines: Type.Integer({ description: 'Usage lines missing a required tag' }),
  },
  { description: "Share of this period's Azure usage cost (Microsoft's BillingPreTaxTotal, absolute amounts) carrying every required tag; licence lines carry no tags and are left out" },
);

const CurrencyTagCompliance = Type.Object({
  currency: Type.String(),
  customers: Type.Integer({ description: 'Customers with required tags and usage cost in this currency' }),
  totalCost: Money,
  compliantCost: Money,
  share: Nullable(Type.String({ description: 'Σ compliantCost ÷ Σ totalCost (cost-weighted over customers), 6 decimals' })),
});

const RunCustomer = Type.Object({
  customerId: Uuid,
  customerName: Type.String(),
  outcome: Type.String({ description: 'issued (a new invoice revision), reused (inputs unchanged: the current revision stands), unpriced, no_rate_card or failed' }),
  invoiceId: Nullable(Uuid),
  currency: Nullable(Type.String()),
  usageLines: Type.Integer(),
  licenseLines: Type.Integer(),
  lateLines: Type.Integer(),
  unpricedLines: Type.Integer(),
  unmappedLines: Type.Integer(),
  costDiscrepancies: Type.Integer(),
  seatDiscrepancies: Type.Integer({ description: 'Licence subscriptions whose seat events and licence lines disagree (GET …/seat-discrepancies)' }),
  cost: NullableMoney,
  price: NullableMoney,
  unallocated: NullableMoney,
  inputs: Type.Unknown({ description: 'What the close froze: rate card version, fx rates and their source, allocation rule versions, category mapping version, line counts' }),
  problems: Type.Array(Type.Object({ lineId: Type.Optional(Type.String()), reason: Type.String() })),
  tagCompliance: Nullable(CustomerTagCompliance),
});

export const BillingRun = Type.Object(
  {
    id: Uuid,
    period: Period,
    timeZone: Type.String({ description: 'The billing time zone the period was cut in' }),
    status: Type.String({ description: 'queued, running, succeeded, partial (some customers unpriced, without a rate card, or failed) or failed' }),
    progress: Type.Object({
      customersDone: Type.Integer(),
      customersTotal: Type.Integer(),
      pendingJobs: Type.Integer(),
      errors: Type.Integer(),
    }),
    report: Type.Object({
      customers: Type.Object({
        total: Type.Integer(),
        issued: Type.Integer(),
        reused: Type.Integer(),
        unpriced: Type.Integer(),
        noRateCard: Type.Integer(),
        failed: Type.Integer(),
      }),
      lines: Type.Object({ usage: Type.Integer(), license: Type.Integer(), latePickedUp: Type.Integer() }),
      unmappedLines: Type.Integer({ description: 'Lines no category mapping claimed (priced as other)' }),
      unpricedLines: Type.Integer({ description: 'Lines no rate card rule priced: their invoices are held' }),
      costDiscrepancies: Type.Integer({ description: "Lines whose Microsoft cost differs from Microsoft's documented formula (GET …/cost-discrepancies)" }),
      seatDiscrepancies: Type.Integer({
        description: "Licence subscriptions whose seat-days or amount, prorated by day from the hub's own subscription events, differ from Microsoft's licence lines (GET …/seat-discrepancies)",
      }),
      totals: Type.Array(CurrencyTotals, { description: 'Per invoice currency, over the invoices this run issued or reused; price is the tax-free invoice total' }),
      tagCompliance: Type.Array(CurrencyTagCompliance, {
        description: "Per billing currency of the usage lines, over the customers with required tags and usage cost (held invoices included); each customer's figures are under customers[].tagCompliance",
      }),
      held: Type.Array(Type.Object({ customerId: Uuid, customerName: Type.String(), outcome: Type.String(), problems: Type.Array(Type.Object({ lineId: Type.Optional(Type.String()), reason: Type.String() })) }), {
        description: 'Customers whose invoice was not issued, and why',
      }),
      quoteVariance: Type.Optional(
        Type.Object(
          {
            customers: Type.Integer({ description: 'Customers with a won CRM quote' }),
            flagged: Type.Integer({ description: 'Of those, customers with at least one flag' }),
            flaggedCustomers: Type.Array(Type.Ref('QuoteVarianceRow')),
          },
          { description: "Quoted against actual for the run's period, as GET /v1/reports/quote-variance reports it (flagged customers only); on GET /v1/billing-runs/{id}" },
        ),
      ),
    }),
    errors: Type.Array(Type.Object({ at: Type.String(), job: Type.String(), customerId: Type.Optional(Type.String()), message: Type.String() })),
    customers: Type.Optional(Type.Array(RunCustomer)),
    requestedBy: Nullable(Type.String()),
    startedAt: Nullable(Type.String({ format: 'date-time' })),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'BillingRun' },
);
type BillingRunView = Static<typeof BillingRun>;

const CostDiscrepancy = Type.Object({
  id: Type.String(),
  customerId: Uuid,
  period: Period,
  lineKind: Type.String({ description: 'usage or license' }),
  lineId: Type.String({ description: 'usage_lines id (a number) or license_lines id (a uuid)' }),
  field: Type.String({ description: 'BillingPreTaxTotal (usage) or Subtotal (licence)' }),
  formula: Type.String({ description: "Microsoft's documented formula the hub recomputed with" }),
  microsoft: Money,
  recomputed: Money,
  difference: Type.String({ description: 'microsoft − recomputed' }),
  currency: Nullable(Type.String()),
});

const SeatDiscrepancy = Type.Object({
  id: Type.String(),
  customerId: Uuid,
  period: Period,
  subscriptionId: Uuid,
  partnerCenterSubscriptionId: Nullable(Type.String({ description: "Partner Center's SubscriptionId: the licence lines' SubscriptionId" })),
  kind: Type.String({
    description: "seat_days (the seat-days differ), amount (same seat-days, amounts further apart than Microsoft's per-seat truncation explains) or invalid_events (the hub's events cannot be prorated: see message)",
  }),
  expectedSeatDays: Nullable(Type.String({ description: "Σ seats × days the hub's subscription events imply for the period; null when the events are invalid" })),
  billedSeatDays: Type.String({ description: "Σ BillableQuantity × charge days of Microsoft's seat lines (monthly cycles scaled to the period's days, refunds negative)" }),
  expectedAmount: Nullable(Type.String({ description: 'The events prorated by day at the per-seat price Microsoft charged; null when no line priced a seat or the events are invalid' })),
  billedAmount: Type.String({ description: "Σ Microsoft's Subtotal of the subscription's seat lines" }),
  currency: Nullable(Type.String({ description: "Microsoft's billing currency; null when it billed no line" })),
  licenseLineIds: Type.Array(Uuid, { description: 'The license_lines compared' }),
  message: Type.String(),
});

type CustomerRow = {
  customer_id: string;
  customer_name: string;
  outcome: string;
  invoice_id: string | null;
  currency: string | null;
  usage_lines: number;
  license_lines: number;
  late_lines: number;
  unpriced_lines: number;
  unmapped_lines: number;
  discrepancies: number;
  seat_discrepancies: number;
  cost: string | null;
  price: string | null;
  unallocated: string | null;
  inputs: unknown;
  problems: unknown;
  tag_compliance: unknown;
};

/** Each run's customers; `inputs` (what each froze, the largest column) only when `withInputs`: the report does not read it. */
async function customersOf(ctx: HubContext, runIds: string[], withInputs: boolean): Promise<Map<string, CustomerRow[]>> {
  const byRun = new Map<string, CustomerRow[]>();
  if (runIds.length === 0) return byRun;
  const rows = await ctx.db
    .selectFrom('billing_run_customers as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select([
      'r.billing_run_id',
      'r.customer_id',
      'c.name as customer_name',
      'r.outcome',
      'r.invoice_id',
      'r.currency',
      'r.usage_lines',
      'r.license_lines',
      'r.late_lines',
      'r.unpriced_lines',
      'r.unmapped_lines',
      'r.discrepancies',
      'r.seat_discrepancies',
      'r.cost',
      'r.price',
      'r.unallocated',
      withInputs ? 'r.inputs' : sql<unknown>`null`.as('inputs'),
      'r.problems',
      'r.tag_compliance',
    ])
    .where('r.billing_run_id', 'in', runIds)
    .orderBy('c.name')
    .orderBy('r.customer_id')
    .execute();
  for (const row of rows) {
    const list = byRun.get(row.billing_run_id) ?? [];
    list.push(row);
    byRun.set(row.billing_run_id, list);
  }
  return byRun;
}

function report(rows: CustomerRow[]): BillingRunView['report'] {
  const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
  const totals = new Map<string, { customers: number; cost: Decimal; price: Decimal; unallocated: Decimal }>();
  for (const r of rows) {
    if (!r.currency || r.cost === null || r.price === null) continue;
    const t = totals.get(r.currency) ?? { customers: 0, cost: new Decimal(0), price: new Decimal(0), unallocated: new Decimal(0) };
    t.customers += 1;
    t.cost = t.cost.plus(r.cost);
    t.price = t.price.plus(r.price);
    t.unallocated = t.unallocated.plus(r.unallocated ?? '0');
    totals.set(r.currency, t);
  }
  const compliance = new Map<string, { customers: number; total: Decimal; compliant: Decimal }>();
  for (const r of rows) {
    const c = r.tag_compliance as StoredTagCompliance | null;
    if (!c || c.share === null || c.compliantCost === null || !c.currency) continue;
    const t = compliance.get(c.currency) ?? { customers: 0, total: new Decimal(0), compliant: new Decimal(0) };
    t.customers += 1;
    t.total = t.total.plus(c.totalCost);
    t.compliant = t.compliant.plus(c.compliantCost);
    compliance.set(c.currency, t);
  }
  const sumOf = (f: (r: CustomerRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  return {
    customers: {
      total: rows.length,
      issued: count('issued'),
      reused: count('reused'),
      unpriced: count('unpriced'),
      noRateCard: count('no_rate_card'),
      failed: count('failed'),
    },
    lines: { usage: sumOf((r) => r.usage_lines), license: sumOf((r) => r.license_lines), latePickedUp: sumOf((r) => r.late_lines) },
    unmappedLines: sumOf((r) => r.unmapped_lines),
    unpricedLines: sumOf((r) => r.unpriced_lines),
    costDiscrepancies: sumOf((r) => r.discrepancies),
    seatDiscrepancies: sumOf((r) => r.seat_discrepancies),
    totals: [...totals]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, t]) => {
        const margin = t.price.minus(t.cost);
        return {
          currency,
          customers: t.customers,
          cost: t.cost.toString(),
          price: t.price.toString(),
          margin: margin.toString(),
          marginPercent: t.price.isZero() ? null : margin.div(t.price).times(HUNDRED).toDecimalPlaces(4).toString(),
          unallocated: t.unallocated.toString(),
        };
      }),
    tagCompliance: [...compliance]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, t]) => ({
        currency,
        customers: t.customers,
        totalCost: t.total.toString(),
        compliantCost: t.compliant.toString(),
        share: t.total.isZero() ? null : t.compliant.div(t.total).toDecimalPlaces(6).toString(),
      })),
    held: rows
      .filter((r) => r.outcome !== 'issued' && r.outcome !== 'reused')
      .map((r) => ({ customerId: r.customer_id, customerName: r.customer_name, outcome: r.outcome, problems: r.problems as { reason: string }[] })),
  };
}

function toBillingRun(row: BillingRunRow, customers: CustomerRow[], withCustomers: boolean): BillingRunView {
  return {
    id: row.id,
    period: row.period,
    timeZone: row.time_zone,
    status: row.status,
    progress: { customersDone: row.customers_done, customersTotal: row.customers_total, pendingJobs: row.pending_jobs, errors: row.error_count },
    report: report(customers),
    errors: row.errors as BillingRunView['errors'],
    ...(withCustomers
      ? {
          customers: customers.map((r) => ({
            customerId: r.customer_id,
            customerName: r.customer_name,
            outcome: r.outcome,
            invoiceId: r.invoice_id,
            currency: r.currency,
            usageLines: r.usage_lines,
            licenseLines: r.license_lines,
            lateLines: r.late_lines,
            unpricedLines: r.unpriced_lines,
            unmappedLines: r.unmapped_lines,
            costDiscrepancies: r.discrepancies,
            seatDiscrepancies: r.seat_discrepancies,
            cost: r.cost,
            price: r.price,
            unallocated: r.unallocated,
            inputs: r.inputs,
            problems: r.problems as { reason: string }[],
            tagCompliance: (r.tag_compliance as StoredTagCompliance | null) ?? null,
          })),
        }
      : {}),
    requestedBy: row.requested_by,
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** Whole months only, and never one that has not ended yet in the billing time zone. */
function assertClosable(period: string, timeZone: string): void {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).format(new Date()).slice(0, 7);
  if (period >= today) throw badRequest('period', `${period} has not ended yet in ${timeZone}: only a past month can be closed`);
}

export function billingRunRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(BillingRun);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const watchers = ['admin', 'billing_ops', 'finance', 'auditor'] as const;

  r.post(
    '/v1/billing-runs',
    {
      config: { auth: { roles: ['admin', 'billing_ops', 'finance'] }, idempotent: true },
      schema: {
        tags: ['billing'],
        summary: "Close a billing period: price, allocate and invoice every customer's month",
        description:
          'Answers 202 at once with the run; watch it at GET /v1/billing-runs/{id}. A run already queued or running for the period is returned instead of starting another. ' +
          'Re-running a closed period issues a new invoice revision only for customers whose inputs changed.',
        body: Type.Object({ period: Period }, { additionalProperties: false }),
        response: { 202: Type.Ref('BillingRun') },
      },
    },
    async (request, reply) => {
      const timeZone = ctx.config.billingTimeZone;
      assertClosable(request.body.period, timeZone);
      const { run } = await startBillingRun(ctx.db, { period: request.body.period, timeZone }, actorOf(request));
      const customers = await customersOf(ctx, [run.id], true);
      return reply.code(202).send(toBillingRun(run, customers.get(run.id) ?? [], true));
    },
  );

  r.get(
    '/v1/billing-runs',
    {
      config: { auth: { roles: [...watchers] } },
      schema: {
        tags: ['billing'],
        summary: 'Billing runs, newest first',
        querystring: Type.Object({ ...PageQuery, period: Type.Optional(Period) }, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('BillingRun')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, period } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('billing_runs').selectAll();
      if (period) q = q.where('period', '=', period);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      const customers = await customersOf(ctx, page.rows.map((row) => row.id), false);
      return { items: page.rows.map((row) => toBillingRun(row, customers.get(row.id) ?? [], false)), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/billing-runs/:id',
    {
      config: { auth: { roles: [...watchers] } },
      schema: {
        tags: ['billing'],
        summary: "A billing run's progress and report, with what it froze for each customer",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object(
          {
            customers: Type.Optional(
              Type.Boolean({
                default: true,
                description: 'false: progress, report and errors without the per-customer list (what a client polling a running close needs; the list, with what each customer froze, is the bulk of the response)',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('BillingRun') },
      },
    },
    async (request) => {
      const row = await ctx.db.selectFrom('billing_runs').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw notFound('billing run', request.params.id);
      const withCustomers = request.query.customers !== false;
      const customers = await customersOf(ctx, [row.id], withCustomers);
      const run = toBillingRun(row, customers.get(row.id) ?? [], withCustomers);
      const variance = (await quoteVariance(ctx.db, row.period, { timeZone: row.time_zone })).map(quoteVarianceView);
      const flagged = variance.filter((v) => v.flags.length > 0);
      return { ...run, report: { ...run.report, quoteVariance: { customers: variance.length, flagged: flagged.length, flaggedCustomers: flagged } } };
    },
  );

  r.get(
    '/v1/billing-runs/:id/cost-discrepancies',
    {
      config: { auth: { roles: [...watchers] } },
      schema: {
        tags: ['billing'],
        summary: "Lines whose Microsoft cost differs from Microsoft's documented formula",
        description: "Reported, never corrected: Microsoft's figure is what the partner is billed and what the close prices from.",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ ...PageQuery, customerId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: pageOf(CostDiscrepancy) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, customerId } = request.query;
      const run = await ctx.db.selectFrom('billing_runs').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!run) throw notFound('billing run', request.params.id);
      const after = decodeIdCursor(cursor);
      let q = ctx.db.selectFrom('cost_discrepancies').selectAll().where('billing_run_id', '=', run.id);
      if (customerId) q = q.where('customer_id', '=', customerId);
      if (after !== undefined) q = q.where('id', '<', after);
      const { rows: page, nextCursor } = paginateById(await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.map((d) => ({
          id: String(d.id),
          customerId: d.customer_id,
          period: d.period,
          lineKind: d.line_kind,
          lineId: String(d.usage_line_id ?? d.license_line_id),
          field: d.field,
          formula: d.formula,
          microsoft: d.microsoft,
          recomputed: d.recomputed,
          difference: d.difference,
          currency: d.currency,
        })),
        nextCursor,
      };
    },
  );

  r.get(
    '/v1/billing-runs/:id/seat-discrepancies',
    {
      config: { auth: { roles: [...watchers] } },
      schema: {
        tags: ['billing'],
        summary: "Licence subscriptions whose seat events and Microsoft's licence lines disagree",
        description:
          "The close prorates each licence subscription's own events (seats added or removed, suspended, cancelled, upgraded, renewed) by day and compares the seat-days " +
          "and amount with what Microsoft's licence lines billed. Reported, never corrected: the invoice is priced from Microsoft's lines.",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({ ...PageQuery, customerId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: pageOf(SeatDiscrepancy) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, customerId } = request.query;
      const run = await ctx.db.selectFrom('billing_runs').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!run) throw notFound('billing run', request.params.id);
      const after = decodeIdCursor(cursor);
      let q = ctx.db.selectFrom('seat_discrepancies').selectAll().where('billing_run_id', '=', run.id);
      if (customerId) q = q.where('customer_id', '=', customerId);
      if (after !== undefined) q = q.where('id', '<', after);
      const { rows: page, nextCursor } = paginateById(await q.orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.map((d) => ({
          id: String(d.id),
          customerId: d.customer_id,
          period: d.period,
          subscriptionId: d.subscription_id,
          partnerCenterSubscriptionId: d.partner_center_subscription_id,
          kind: d.kind,
          expectedSeatDays: d.expected_seat_days,
          billedSeatDays: d.billed_seat_days,
          expectedAmount: d.expected_amount,
          billedAmount: d.billed_amount,
          currency: d.currency,
          licenseLineIds: d.license_line_ids,
          message: d.message,
        })),
        nextCursor,
      };
    },
  );
}
