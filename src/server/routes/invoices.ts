import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { customerDocumentFormat, findDocumentInvoice, renderStoredInvoice } from '../../db/invoice-document.ts';
import { invoiceLines, invoiceSources } from '../../db/invoices.ts';
import { Decimal } from '../../engine/decimal.ts';
import { portalScope } from '../plugins/auth.ts';
import { forbidden, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { InvoiceView, Money, Nullable, Period, toInvoiceLine, toInvoiceView } from '../invoice-views.ts';

const Uuid = Type.String({ format: 'uuid' });

const Fx = Type.Object({
  source: Type.String({ description: 'microsoft (the line’s PCToBCExchangeRate), market, fixed, or identity (same currency)' }),
  from: Type.String(),
  to: Type.String(),
  rate: Type.String(),
  rateDate: Nullable(Type.String({ description: 'The date the rate is valid from (null for identity)' })),
  rateId: Nullable(Type.String({ description: 'fx_rates id (market) or rate card version id (fixed)' })),
});

const Lineage = Type.Object({
  invoiceId: Uuid,
  number: Type.String(),
  currency: Type.String(),
  lines: Type.Array(
    Type.Object({
      id: Uuid,
      position: Type.Integer(),
      kind: Type.String(),
      description: Type.String(),
      amount: Money,
      exactAmount: Type.String(),
      rounding: Type.Object({
        scope: Type.String({ description: 'line: every source line rounded; invoice: lines summed exactly, shown rounded, the total rounded once' }),
        mode: Type.String(),
        places: Type.Integer(),
        difference: Type.String({ description: 'amount − exactAmount' }),
      }),
      sourceCount: Type.Integer(),
      sources: Type.Array(
        Type.Object({
          kind: Type.String({ description: 'usage, license, labour, or the reversal of a frozen line a late revision replaces (usage_reversal, license_reversal, labour_reversal)' }),
          ids: Type.Array(Type.String(), { description: 'usage_lines ids, license_lines ids, or labour_lines ids (one version of one PSA time entry each)' }),
          count: Type.Integer(),
          rateCard: Type.Object({ id: Uuid, version: Type.Integer() }),
          rule: Type.Object({ id: Type.String(), basis: Type.String(), markupPercent: Nullable(Type.String()), unitPrice: Nullable(Type.String()) }),
          fx: Nullable(Fx),
          costFx: Fx,
          allocation: Type.Object({
            ruleId: Nullable(Uuid),
            ruleVersion: Nullable(Type.Integer()),
            costNodeId: Uuid,
            costNodeName: Nullable(Type.String()),
            percent: Type.String(),
            amount: Type.String(),
          }),
          roundingApplied: Type.Boolean({ description: 'Whether these source lines were rounded one by one (card rounds per line)' }),
          quantity: Type.String(),
          cost: Type.String(),
          unroundedPrice: Type.String(),
          price: Type.String(),
        }),
      ),
    }),
  ),
});

/** The invoice with its customer's name and billing address; a portal key finds its own customer's only (404 otherwise). */
export async function findInvoiceRow(ctx: HubContext, request: FastifyRequest, id: string) {
  const row = await findDocumentInvoice(ctx.db, id);
  const scope = portalScope(request);
  if (!row || (scope !== undefined && row.customer_id !== scope)) throw notFound('invoice', id);
  return row;
}

export const InvoiceListQuery = Type.Object(
  {
    ...PageQuery,
    customerId: Type.Optional(Uuid),
    period: Type.Optional(Period),
    status: Type.Optional(Type.Union([Type.Literal('issued'), Type.Literal('superseded')])),
  },
  { additionalProperties: false },
);

/** A page of invoices, newest first; a portal key's are confined to its customer. */
export async function listInvoiceRows(ctx: HubContext, request: FastifyRequest, query: Static<typeof InvoiceListQuery>) {
  const { limit = 50, cursor, customerId, period, status } = query;
  const scope = portalScope(request);
  if (scope !== undefined && customerId !== undefined && customerId !== scope) throw forbidden('a portal key sees its own customer only');
  const position = decodeCursor(cursor);
  let q = ctx.db.selectFrom('invoices as i').innerJoin('customers as c', 'c.id', 'i.customer_id').selectAll('i').select('c.name as customer_name');
  const customer = scope ?? customerId;
  if (customer) q = q.where('i.customer_id', '=', customer);
  if (period) q = q.where('i.period', '=', period);
  if (status) q = q.where('i.status', '=', status);
  if (position) q = q.where((eb) => eb(eb.refTuple('i.created_at', 'i.id'), '<', eb.tuple(position.createdAt, position.id)));
  return paginate(await q.orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').limit(limit + 1).execute(), limit);
}

/** Who reads invoices as the MSP sees them (with Microsoft's cost and the lineage): staff only. */
export const INVOICE_READERS = ['admin', 'finance', 'billing_ops', 'auditor', 'sales_ops'] as const;

export function invoiceRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(InvoiceView);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const auth = { roles: [...INVOICE_READERS] };
  // The document shows a client its prices, never the MSP's cost: portal keys may fetch their own.
  const documentAuth = { roles: [...INVOICE_READERS, 'portal' as const], customerScope: 'record' as const };

  const findInvoice = (request: FastifyRequest, id: string) => findInvoiceRow(ctx, request, id);

  r.get(
    '/v1/invoices',
    {
      config: { auth },
      schema: {
        tags: ['billing'],
        summary: "Invoices, newest first, with Microsoft's cost (staff; a client's portal reads /v1/portal/invoices)",
        querystring: InvoiceListQuery,
        response: { 200: pageOf(Type.Ref('Invoice')) },
      },
    },
    async (request) => {
      const page = await listInvoiceRows(ctx, request, request.query);
      return { items: page.rows.map(toInvoiceView), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/invoices/:id',
    {
      config: { auth },
      schema: {
        tags: ['billing'],
        summary: 'An invoice with its lines, subtotals per category and per cost node, and tax-free totals',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Ref('Invoice') },
      },
    },
    async (request) => {
      const row = await findInvoice(request, request.params.id);
      const lines = await invoiceLines(ctx.db, row.id);
      return {
        ...toInvoiceView(row),
        lines: lines.map((l) => toInvoiceLine(l, row.minor_units)),
      };
    },
  );

  r.get(
    '/v1/invoices/:id/lineage',
    {
      config: { auth },
      schema: {
        tags: ['billing'],
        summary: 'For each invoice line: its source lines, rate card version and rule, fx rate and source, allocation rule and percentage, rounding',
        params: Type.Object({ id: Uuid }),
        response: { 200: Lineage },
      },
    },
    async (request) => {
      const row = await findInvoice(request, request.params.id);
      const lines = await invoiceLines(ctx.db, row.id);
      const sources = await invoiceSources(ctx.db, lines.map((l) => l.id));
      const nodes = await ctx.db.selectFrom('cost_nodes').select(['id', 'name']).where('customer_id', '=', row.customer_id).execute();
      const nodeName = new Map(nodes.map((n) => [n.id, n.name]));
      const byLine = new Map<string, typeof sources>();
      for (const s of sources) byLine.set(s.invoice_line_id, [...(byLine.get(s.invoice_line_id) ?? []), s]);
      const fxOf = (value: unknown) => {
        if (!value) return null;
        const fx = value as { source: string; from: string; to: string; rate: string; rateDate: string | null; rateId: string | null };
        return { source: fx.source, from: fx.from, to: fx.to, rate: String(fx.rate), rateDate: fx.rateDate ?? null, rateId: fx.rateId ?? null };
      };
      return {
        invoiceId: row.id,
        number: row.number,
        currency: row.currency,
        lines: lines.map((l) => {
          const rounding = l.rounding as { scope: string; mode: string; places: number };
          return {
            id: l.id,
            position: l.position,
            kind: l.kind,
            description: l.description,
            amount: l.amount,
            exactAmount: l.exact_amount,
            rounding: { scope: rounding.scope, mode: rounding.mode, places: rounding.places, difference: new Decimal(l.amount).minus(l.exact_amount).toString() },
            sourceCount: l.source_count,
            sources: (byLine.get(l.id) ?? []).map((s) => ({
              kind: s.source_kind,
              ids: (s.usage_line_ids ?? s.license_line_ids ?? s.labour_line_ids ?? []).map(String),
              count: s.line_count,
              rateCard: { id: s.rate_card_id, version: s.rate_card_version },
              rule: { id: s.rate_rule_id, basis: s.basis, markupPercent: s.markup_percent, unitPrice: s.unit_price },
              fx: fxOf(s.fx),
              costFx: fxOf(s.cost_fx)!,
              allocation: {
                ruleId: s.allocation_rule_id,
                ruleVersion: s.allocation_rule_version,
                costNodeId: s.cost_node_id,
                costNodeName: nodeName.get(s.cost_node_id) ?? null,
                percent: s.percent,
                amount: s.allocated_amount,
              },
              roundingApplied: (s.rounding as { applied?: boolean }).applied === true,
              quantity: s.quantity,
              cost: s.cost,
              unroundedPrice: s.unrounded_price,
              price: s.price,
            })),
          };
        }),
      };
    },
  );

  r.get(
    '/v1/invoices/:id/document',
    {
      config: { auth: documentAuth },
      schema: {
        tags: ['billing'],
        summary:
          "The invoice as a PDF, HTML or CSV document, detailed (per subscription, resource group and meter) or summary (per category); without format, the customer's invoice format (set by its onboarding template), else detailed",
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object(
          {
            format: Type.Optional(Type.Union([Type.Literal('detailed'), Type.Literal('summary')])),
            type: Type.Optional(Type.Union([Type.Literal('pdf'), Type.Literal('html'), Type.Literal('csv')], { default: 'pdf' })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => {
      const row = await findInvoice(request, request.params.id);
      const rendered = await renderStoredInvoice(ctx.db, row, { format: request.query.format ?? customerDocumentFormat(row, 'detailed'), type: request.query.type ?? 'pdf' });
      return reply.type(rendered.contentType).header('content-disposition', `attachment; filename="${rendered.filename}"`).send(rendered.body);
    },
  );
}
