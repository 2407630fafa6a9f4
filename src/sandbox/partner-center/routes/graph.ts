/**
 * Microsoft Graph partner billing reports (v1.0 and beta): the billed/unbilled
 * usage and reconciliation exports, operation polling, and manifests.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dayOf, isoInstant, monthIndexOfDay } from '../calendar.ts';
import type { SandboxContext } from '../context.ts';
import { graphError } from '../errors.ts';
import type { ExportDataset, ExportOperation, Manifest } from '../exports.ts';
import { AUDIENCES } from '../tokens.ts';
import type { UsageScope } from '../usage-lines.ts';
import { BILLED_AS_OF } from '../writers.ts';
import { apiGuard } from './guard.ts';

const VERSIONS = ['v1.0', 'beta'] as const;
const NO_INVOICE_MONTH = -1;

type Body = Record<string, unknown>;

export function registerGraphRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.register(async (api) => {
    api.addHook('onRequest', apiGuard(ctx, AUDIENCES.graph, 'graph'));
    for (const version of VERSIONS) {
      const root = `/${version}/reports/partners/billing`;
      for (const dataset of ['usage', 'reconciliation'] as const) {
        api.post(`${root}/${dataset}/billed/export`, async (req, reply) => startExport(ctx, req, reply, version, dataset, true));
        api.post(`${root}/${dataset}/unbilled/export`, async (req, reply) => startExport(ctx, req, reply, version, dataset, false));
      }
      api.get<{ Params: { id: string } }>(`${root}/operations/:id`, async (req, reply) => {
        const op = ctx.exports.poll(req.params.id);
        if (!op) return graphFail(ctx, reply, 404, 'itemNotFound', `Operation ${req.params.id} was not found.`);
        if (op === 'expired') return graphFail(ctx, reply, 410, 'Gone', `Operation ${req.params.id} has expired. Submit a new request.`);
        return sendOperation(ctx, req, reply, version, op);
      });
      api.get<{ Params: { id: string } }>(`${root}/manifests/:id`, async (req, reply) => {
        const manifest = ctx.exports.manifest(req.params.id);
        if (!manifest) return graphFail(ctx, reply, 404, 'itemNotFound', `Manifest ${req.params.id} was not found.`);
        if (manifest === 'expired') return graphFail(ctx, reply, 410, 'Gone', `Manifest ${req.params.id} has expired. Submit a new request.`);
        return json(reply, 200, manifestResource(origin(req), manifest));
      });
    }
  });
}

function startExport(ctx: SandboxContext, req: FastifyRequest, reply: FastifyReply, version: string, dataset: ExportDataset, billed: boolean): FastifyReply {
  const body: Body = req.body && typeof req.body === 'object' ? (req.body as Body) : {};
  const attributeSet = typeof body.attributeSet === 'string' ? body.attributeSet : 'full';
  if (attributeSet !== 'full' && attributeSet !== 'basic') return graphFail(ctx, reply, 400, 'BadRequest', "attributeSet must be 'full' or 'basic'.");
  const nowMs = ctx.clock.nowMs();
  let scope: UsageScope;
  if (billed) {
    if (typeof body.invoiceId !== 'string' || body.invoiceId === '') return graphFail(ctx, reply, 400, 'BadRequest', 'invoiceId is required.');
    const inv = ctx.portfolio.findInvoice(body.invoiceId, nowMs);
    // Unknown (or legacy) invoices are accepted and then fail with "No data available", as Microsoft's do.
    scope = inv
      ? { billingMonth: inv.monthIndex, currency: inv.currency, asOfMs: BILLED_AS_OF, invoiceNumber: inv.id }
      : { billingMonth: NO_INVOICE_MONTH, currency: 'USD', asOfMs: 0, invoiceNumber: body.invoiceId };
  } else {
    const currency = typeof body.currencyCode === 'string' ? body.currencyCode.toUpperCase() : '';
    if (!/^[A-Z]{3}$/.test(currency)) return graphFail(ctx, reply, 400, 'BadRequest', 'currencyCode is required.');
    const period = body.billingPeriod;
    if (period !== 'current' && period !== 'last') return graphFail(ctx, reply, 400, 'BadRequest', "billingPeriod must be 'current' or 'last'.");
    const month = monthIndexOfDay(dayOf(nowMs));
    scope = { billingMonth: period === 'current' ? month : month - 1, currency, asOfMs: nowMs, invoiceNumber: '' };
  }
  const op = ctx.exports.create({ dataset, billed, scope, attributeSet });
  return reply
    .code(202)
    .header('location', `${origin(req)}/${version}/reports/partners/billing/operations/${op.id}`)
    .header('retry-after', String(ctx.exportRetryAfterSeconds))
    .send();
}

function sendOperation(ctx: SandboxContext, req: FastifyRequest, reply: FastifyReply, version: string, op: ExportOperation): FastifyReply {
  const common = { id: op.id, createdDateTime: isoInstant(op.createdMs), lastActionDateTime: isoInstant(op.lastActionMs) };
  if (op.manifest) {
    const base = origin(req);
    return json(reply, 200, {
      '@odata.type': '#microsoft.graph.partners.billing.exportSuccessOperation',
      ...common,
      status: 'succeeded',
      'resourceLocation@odata.navigationLink': `${base}/${version}/reports/partners/billing/manifests/${op.manifest.id}`,
      // Microsoft's sample client reads the manifest inline; the navigation link serves clients that follow it.
      resourceLocation: manifestResource(base, op.manifest),
    });
  }
  if (op.error) {
    return json(reply, 200, { '@odata.type': '#microsoft.graph.partners.billing.failedOperation', ...common, status: 'failed', error: op.error });
  }
  reply.header('retry-after', String(ctx.exportRetryAfterSeconds));
  return json(reply, 200, { '@odata.type': '#microsoft.graph.partners.billing.runningOperation', ...common, status: 'running' });
}

export function manifestResource(base: string, m: Manifest): Record<string, unknown> {
  return {
    id: m.id,
    schemaVersion: m.schemaVersion,
    dataFormat: m.dataFormat,
    createdDateTime: m.createdDateTime,
    eTag: m.eTag,
    partnerTenantId: m.partnerTenantId,
    rootDirectory: `${base}${m.rootPath}`,
    sasToken: m.sasToken,
    partitionType: m.partitionType,
    blobCount: m.blobCount,
    blobs: m.blobs,
  };
}

function origin(req: FastifyRequest): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

function json(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

function graphFail(ctx: SandboxContext, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(graphError(code, message, ctx.wallClock()));
}
