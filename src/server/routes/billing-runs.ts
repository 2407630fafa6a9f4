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

/** Each run's customers, with what each froze (the per-customer list; the report is summed apart, by reportsOf). */
async function customersOf(ctx: HubContext, runIds: string[]): Promise<Map<string, CustomerRow[]>> {
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
      'r.inputs',
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

type RunReport = Omit<BillingRunView['report'], 'quoteVariance'>;

const byCurrency = <T extends { currency: string }>(rows: T[]): T[] => [...rows].sort((a, b) => (a.currency < b.currency ? -1 : 1));

/**
 * Each run's report, summed by PostgreSQL: a client polls a running close for it, and
 * reading every customer's row on each poll made a poll's cost grow with the run.
 * Only the customers held back come back as rows. Every run asked for has one.
 */
async function reportsOf(ctx: HubContext, runIds: string[]): Promise<Map<string, RunReport>> {
  const reports = new Map<string, RunReport>();
  if (runIds.length === 0) return reports;
  const [counts, totals, compliance, held] = await Promise.all([
    sql<{ run: string; total: number; issued: number; reused: number; unpriced: number; no_rate_card: number; failed: number; usage: string; license: string; late: string; unmapped: string; unpriced_lines: string; discrepancies: string; seat_discrepancies: string }>`
      select billing_run_id as run, count(*)::int as total,
        count(*) filter (where outcome = 'issued')::int as issued, count(*) filter (where outcome = 'reused')::int as reused,
        count(*) filter (where outcome = 'unpriced')::int as unpriced, count(*) filter (where outcome = 'no_rate_card')::int as no_rate_card,
        count(*) filter (where outcome = 'failed')::int as failed,
        sum(usage_lines)::text as usage, sum(license_lines)::text as license, sum(late_lines)::text as late, sum(unmapped_lines)::text as unmapped,
        sum(unpriced_lines)::text as unpriced_lines, sum(discrepancies)::text as discrepancies, sum(seat_discrepancies)::text as seat_discrepancies
      from billing_run_customers where billing_run_id = any(${runIds}::uuid[]) group by billing_run_id`.execute(ctx.db),
    sql<{ run: string; currency: string; customers: number; cost: string; price: string; unallocated: string }>`
      select billing_run_id as run, currency, count(*)::int as customers, sum(cost)::text as cost, sum(price)::text as price,
        sum(coalesce(unallocated, 0))::text as unallocated
      from billing_run_customers
      where billing_run_id = any(${runIds}::uuid[]) and currency <> '' and cost is not null and price is not null
      group by billing_run_id, currency`.execute(ctx.db),
    sql<{ run: string; currency: string; customers: number; total: string; compliant: string }>`
      select billing_run_id as run, tag_compliance->>'currency' as currency, count(*)::int as customers,
        sum((tag_compliance->>'totalCost')::numeric)::text as total, sum((tag_compliance->>'compliantCost')::numeric)::text as compliant
      from billing_run_customers
      where billing_run_id = any(${runIds}::uuid[]) and tag_compliance->>'share' is not null
        and tag_compliance->>'compliantCost' is not null and tag_compliance->>'currency' <> ''
      group by billing_run_id, tag_compliance->>'currency'`.execute(ctx.db),
    ctx.db
      .selectFrom('billing_run_customers as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['r.billing_run_id', 'r.customer_id', 'c.name as customer_name', 'r.outcome', 'r.problems'])
      .where('r.billing_run_id', 'in', runIds)
      .where('r.outcome', 'not in', ['issued', 'reused'])
      .orderBy('c.name')
      .orderBy('r.customer_id')
      .execute(),
  ]);
  for (const id of runIds) {
    const c = counts.rows.find((r) => r.run === id);
    const n = (v: string | undefined) => Number(v ?? 0);
    reports.set(id, {
      customers: { total: c?.total ?? 0, issued: c?.issued ?? 0, reused: c?.reused ?? 0, unpriced: c?.unpriced ?? 0, noRateCard: c?.no_rate_card ?? 0, failed: c?.failed ?? 0 },
      lines: { usage: n(c?.usage), license: n(c?.license), latePickedUp: n(c?.late) },
      unmappedLines: n(c?.unmapped),
      unpricedLines: n(c?.unpriced_lines),
      costDiscrepancies: n(c?.discrepancies),
      seatDiscrepancies: n(c?.seat_discrepancies),
      totals: byCurrency(totals.rows.filter((t) => t.run === id)).map((t) => {
        const cost = new Decimal(t.cost);
        const price = new Decimal(t.price);
        const margin = price.minus(cost);
        return {
          currency: t.currency,
          customers: t.customers,
          cost: cost.toString(),
          price: price.toString(),
          margin: margin.toString(),
          marginPercent: price.isZero() ? null : margin.div(price).times(HUNDRED).toDecimalPlaces(4).toString(),
          unallocated: new Decimal(t.unallocated).toString(),
        };
      }),
      tagCompliance: byCurrency(compliance.rows.filter((t) => t.run === id)).map((t) => {
        const total = new Decimal(t.total);
        const compliant = new Decimal(t.compliant);
        return {
          currency: t.currency,
          customers: t.customers,
          totalCost: total.toString(),
          compliantCost: compliant.toString(),
          share: total.isZero() ? null : compliant.div(total).toDecimalPlaces(6).toString(),
        };
      }),
      held: held
        .filter((r) => r.billing_run_id === id)
        .map((r) => ({ customerId: r.customer_id, customerName: r.customer_name, outcome: r.outcome, problems: r.problems as { reason: string }[] })),
    });
  }
  return reports;
}

/** The run as the API shows it; `customers`: its per-customer list, or null to leave the list out. */
function toBillingRun(row: BillingRunRow, report: RunReport, customers: CustomerRow[] | null): BillingRunView {
  return {
    id: row.id,
    period: row.period,
    timeZone: row.time_zone,
    status: row.status,
    progress: { customersDone: row.customers_done, customersTotal: row.customers_total, pendingJobs: row.pending_jobs, errors: row.error_count },
    report,
    errors: row.errors as BillingRunView['errors'],
    ...(customers
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
      const [customers, reports] = await Promise.all([customersOf(ctx, [run.id]), reportsOf(ctx, [run.id])]);
      return reply.code(202).send(toBillingRun(run, reports.get(run.id)!, customers.get(run.id) ?? []));
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
      const reports = await reportsOf(ctx, page.rows.map((row) => row.id));
      return { items: page.rows.map((row) => toBillingRun(row, reports.get(row.id)!, null)), nextCursor: page.nextCursor };
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
      const [customers, reports] = await Promise.all([withCustomers ? customersOf(ctx, [row.id]) : undefined, reportsOf(ctx, [row.id])]);
      const run = toBillingRun(row, reports.get(row.id)!, customers ? (customers.get(row.id) ?? []) : null);
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
