/**
 * Partner Center REST v1: customers (seek paging), subscriptions, Azure
 * entitlements, invoices and invoice line items (billed and unbilled, licence
 * and daily-rated-usage lines, 2,000 a page with MS-ContinuationToken).
 *
 * Links follow each documented example: the customers page links carry the
 * '/v1' prefix, invoice and line-item links are relative to the v1 root.
 */
import { Decimal } from 'decimal.js';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dayOf, monthIndexOfDay } from '../calendar.ts';
import { lowerQuery, type SandboxContext } from '../context.ts';
import { decodeContinuation, encodeContinuation } from '../continuation.ts';
import { partnerCenterError } from '../errors.ts';
import type { Customer, Invoice } from '../interfaces.ts';
import { stringifyWithDecimals } from '../json.ts';
import { scopeKey, type LineKind } from '../line-sources.ts';
import { customerResource, invoiceResource, link, subscriptionsOf } from '../resources.ts';
import { AUDIENCES } from '../tokens.ts';
import type { UsageScope } from '../usage-lines.ts';
import { BILLED_AS_OF, WRITERS } from '../writers.ts';
import { apiGuard, partnerCenterHeaders } from './guard.ts';

const MAX_LINE_PAGE = 2000;
const DEFAULT_CUSTOMER_PAGE = 40;
const CONTINUATION_HEADER = 'MS-ContinuationToken';

export function registerPartnerCenterRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const totals = new Map<string, Decimal>();

  app.register(async (api) => {
    api.addHook('onRequest', apiGuard(ctx, AUDIENCES.partnerCenter, 'partner-center'));

    api.get('/v1/customers', async (req, reply) => {
      const q = lowerQuery(req.query);
      const size = parseSize(q.size, DEFAULT_CUSTOMER_PAGE, Number.MAX_SAFE_INTEGER);
      if (size === undefined) return badRequest(req, reply, 'The size parameter must be a positive integer.');
      const start = readContinuation(req, q, 'customers');
      if (start === 'invalid') return badRequest(req, reply, `The ${CONTINUATION_HEADER} header is missing or invalid.`);
      const customers = ctx.portfolio.customers;
      const offset = start?.offset ?? 0;
      const page = customers.slice(offset, offset + size);
      const links: Record<string, unknown> = { self: link(`/v1/customers?size=${size}`) };
      if (offset + size < customers.length) {
        const token = encodeContinuation({ scope: 'customers', offset: offset + size, asOfMs: ctx.clock.nowMs() });
        links.next = link(`/v1/customers?size=${size}&seekOperation=Next`, [{ key: CONTINUATION_HEADER, value: token }]);
      }
      const body = { totalCount: page.length, items: page.map((c) => customerResource(c, false)), links, attributes: { objectType: 'Collection' } };
      return partnerCenterHeaders(req, reply).send(JSON.stringify(body));
    });

    api.get<{ Params: { customerId: string } }>('/v1/customers/:customerId', async (req, reply) => {
      const customer = consentedCustomer(ctx, req, reply, req.params.customerId);
      if (!customer) return reply;
      return partnerCenterHeaders(req, reply).send(JSON.stringify(customerResource(customer, true)));
    });

    api.get<{ Params: { customerId: string } }>('/v1/customers/:customerId/subscriptions', async (req, reply) => {
      const customer = consentedCustomer(ctx, req, reply, req.params.customerId);
      if (!customer) return reply;
      const items = subscriptionsOf(customer, ctx.clock.nowMs());
      const body = { totalCount: items.length, items, links: { self: link(`/customers/${customer.id}/subscriptions`) }, attributes: { objectType: 'Collection' } };
      return partnerCenterHeaders(req, reply).send(JSON.stringify(body));
    });

    api.get<{ Params: { customerId: string; subscriptionId: string } }>('/v1/customers/:customerId/subscriptions/:subscriptionId', async (req, reply) => {
      const customer = consentedCustomer(ctx, req, reply, req.params.customerId);
      if (!customer) return reply;
      const sub = subscriptionsOf(customer, ctx.clock.nowMs()).find((s) => s.id === req.params.subscriptionId.toLowerCase());
      if (!sub) return notFound(req, reply, '20003', `Subscription with ID ${req.params.subscriptionId} not found.`);
      return partnerCenterHeaders(req, reply).send(JSON.stringify(sub));
    });

    api.get<{ Params: { customerId: string; subscriptionId: string } }>(
      '/v1/customers/:customerId/subscriptions/:subscriptionId/azureEntitlements',
      async (req, reply) => {
        const customer = consentedCustomer(ctx, req, reply, req.params.customerId);
        if (!customer) return reply;
        const plan = customer.azurePlan;
        if (!plan || plan.id !== req.params.subscriptionId.toLowerCase()) {
          return notFound(req, reply, '20003', `Subscription with ID ${req.params.subscriptionId} not found.`);
        }
        const items = plan.entitlements.map((e) => ({ id: e.id, friendlyName: e.friendlyName, status: 'active', subscriptionId: plan.id, attributes: { objectType: 'AzureEntitlement' } }));
        const body = { totalCount: items.length, items, links: { self: link(`/customers/${customer.id}/subscriptions/${plan.id}/azureEntitlements`) }, attributes: { objectType: 'Collection' } };
        return partnerCenterHeaders(req, reply).send(JSON.stringify(body));
      },
    );

    api.get('/v1/invoices', async (req, reply) => {
      const invoices = ctx.portfolio.invoices(ctx.clock.nowMs());
      const items = invoices.map((inv) => invoiceResource(inv, invoiceTotal(ctx, totals, inv), false));
      const body = { totalCount: items.length, items, links: { self: link('/invoices') }, attributes: { objectType: 'Collection' } };
      return partnerCenterHeaders(req, reply).send(stringifyWithDecimals(body));
    });

    api.get<{ Params: { invoiceId: string } }>('/v1/invoices/:invoiceId', async (req, reply) => {
      const inv = ctx.portfolio.findInvoice(req.params.invoiceId, ctx.clock.nowMs());
      if (!inv) return notFound(req, reply, '1000', `Invoice ${req.params.invoiceId} not found.`);
      return partnerCenterHeaders(req, reply).send(stringifyWithDecimals(invoiceResource(inv, invoiceTotal(ctx, totals, inv), true)));
    });

    api.get<{ Params: { invoiceId: string } }>('/v1/invoices/:invoiceId/lineitems', async (req, reply) => lineItems(ctx, req, reply, req.params.invoiceId));
  });
}

function lineItems(ctx: SandboxContext, req: FastifyRequest, reply: FastifyReply, invoiceId: string): FastifyReply {
  const q = lowerQuery(req.query);
  if ((q.provider ?? '').toLowerCase() !== 'onetime') {
    return badRequest(req, reply, "The sandbox serves new-commerce line items only: provider must be 'onetime'.");
  }
  const type = (q.invoicelineitemtype ?? '').toLowerCase();
  if (type !== 'billinglineitems' && type !== 'usagelineitems') {
    return badRequest(req, reply, "invoicelineitemtype must be 'billinglineitems' or 'usagelineitems'.");
  }
  const kind: LineKind = type === 'usagelineitems' ? 'usage' : 'license';
  const size = parseSize(q.size, MAX_LINE_PAGE, MAX_LINE_PAGE);
  if (size === undefined) return badRequest(req, reply, 'The size parameter must be a positive integer.');

  let scope: Omit<UsageScope, 'asOfMs'>;
  let asOfMs: number;
  const unbilled = invoiceId.toLowerCase() === 'unbilled';
  if (unbilled) {
    const currency = (q.currencycode ?? '').toUpperCase();
    if (!/^[A-Z]{3}$/.test(currency)) return badRequest(req, reply, 'currencycode is required for unbilled line items.');
    const period = (q.period ?? '').toLowerCase();
    if (period !== 'current' && period !== 'previous') return badRequest(req, reply, "period must be 'current' or 'previous'.");
    const currentMonth = monthIndexOfDay(dayOf(ctx.clock.nowMs()));
    scope = { billingMonth: period === 'current' ? currentMonth : currentMonth - 1, currency, invoiceNumber: '' };
    asOfMs = ctx.clock.nowMs();
  } else {
    const inv = ctx.portfolio.findInvoice(invoiceId, ctx.clock.nowMs());
    if (!inv) return notFound(req, reply, '1000', `Invoice ${invoiceId} not found.`);
    scope = { billingMonth: inv.monthIndex, currency: inv.currency, invoiceNumber: inv.id };
    asOfMs = BILLED_AS_OF;
  }

  const key = scopeKey(kind, { ...scope, asOfMs: 0 });
  const start = readContinuation(req, q, key);
  if (start === 'invalid') return badRequest(req, reply, `The ${CONTINUATION_HEADER} header is missing or invalid.`);
  if (start) asOfMs = start.asOfMs;
  const fullScope: UsageScope = { ...scope, asOfMs };
  const offset = start?.offset ?? 0;
  const source = kind === 'usage' ? ctx.sources.usage(fullScope) : ctx.sources.license(fullScope);
  const writer = kind === 'usage' ? WRITERS.usageApi : WRITERS.licenseApi;
  const items = [...source.rendered(writer, offset, offset + size)];

  const query = unbilled
    ? `provider=onetime&invoicelineitemtype=${type}&currencycode=${scope.currency.toLowerCase()}&period=${q.period?.toLowerCase()}&size=${size}`
    : `provider=onetime&invoicelineitemtype=${type}&size=${size}`;
  const path = `/invoices/${unbilled ? 'unbilled' : scope.invoiceNumber}/lineitems`;
  let links = `{"self":${JSON.stringify(link(`${path}?${query}`))}`;
  let continuation = '';
  if (offset + items.length < source.total()) {
    const token = encodeContinuation({ scope: key, offset: offset + items.length, asOfMs });
    links += `,"next":${JSON.stringify(link(`${path}?${query}&seekOperation=Next`, [{ key: CONTINUATION_HEADER, value: token }]))}`;
    continuation = `,"continuationToken":${JSON.stringify(token)}`;
  }
  links += '}';
  const body = `{"totalCount":${items.length},"items":[${items.join(',')}],"links":${links}${continuation},"attributes":{"objectType":"Collection"}}`;
  return partnerCenterHeaders(req, reply).send(body);
}

/** Sum of what the invoice charges: licence Subtotals plus usage BillingPreTaxTotals. */
function invoiceTotal(ctx: SandboxContext, cache: Map<string, Decimal>, inv: Invoice): Decimal {
  const known = cache.get(inv.id);
  if (known) return known;
  const scope: UsageScope = { billingMonth: inv.monthIndex, currency: inv.currency, asOfMs: BILLED_AS_OF, invoiceNumber: inv.id };
  let total = new Decimal(0);
  for (const line of ctx.sources.license(scope).records()) total = total.plus(line.Subtotal as Decimal);
  for (const line of ctx.sources.usage(scope).records()) total = total.plus(line.BillingPreTaxTotal as Decimal);
  cache.set(inv.id, total);
  return total;
}

function readContinuation(req: FastifyRequest, q: Record<string, string>, scope: string): { offset: number; asOfMs: number } | undefined | 'invalid' {
  if ((q.seekoperation ?? '').toLowerCase() !== 'next') return undefined;
  const header = req.headers['ms-continuationtoken'];
  const decoded = typeof header === 'string' ? decodeContinuation(header) : undefined;
  if (!decoded || decoded.scope !== scope) return 'invalid';
  return decoded;
}

function parseSize(raw: string | undefined, fallback: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) return undefined;
  return Math.min(n, max);
}

function consentedCustomer(ctx: SandboxContext, req: FastifyRequest, reply: FastifyReply, id: string): Customer | undefined {
  const customer = ctx.portfolio.customer(id);
  if (!customer) {
    notFound(req, reply, '60003', `Tenant ${id} not found.`);
    return undefined;
  }
  if (ctx.revoked.has(customer.id)) {
    ctx.stats.forbidden++;
    partnerCenterHeaders(req, reply)
      .code(403)
      .send(partnerCenterError('2032', `Access denied. The partner has no active granular delegated admin relationship with customer ${customer.id}.`));
    return undefined;
  }
  return customer;
}

function badRequest(req: FastifyRequest, reply: FastifyReply, description: string): FastifyReply {
  return partnerCenterHeaders(req, reply).code(400).send(partnerCenterError('3000', description));
}

function notFound(req: FastifyRequest, reply: FastifyReply, code: string, description: string): FastifyReply {
  return partnerCenterHeaders(req, reply).code(404).send(partnerCenterError(code, description));
}
