import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { invoiceLines } from '../../db/invoices.ts';
import { PortalInvoice, toPortalInvoice, toPortalLine } from '../invoice-views.ts';
import { pageOf } from '../pagination.ts';
import { Uuid } from '../wire-types.ts';
import { INVOICE_READERS, InvoiceListQuery, findInvoiceRow, listInvoiceRows } from './invoices.ts';

// A client's invoices, in the schema made for it (src/server/invoice-views.ts).

export function portalInvoiceRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(PortalInvoice);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  // Staff read these too, to see exactly what a client sees.
  const auth = { roles: [...INVOICE_READERS, 'portal' as const], customerScope: 'record' as const };

  r.get(
    '/v1/portal/invoices',
    {
      config: { auth },
      schema: {
        tags: ['portal'],
        summary: "A client's invoices, newest first, as the client sees them (a portal key sees its own customer only)",
        querystring: InvoiceListQuery,
        response: { 200: pageOf(Type.Ref('PortalInvoice')) },
      },
    },
    async (request) => {
      const page = await listInvoiceRows(ctx, request, request.query);
      return { items: page.rows.map(toPortalInvoice), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/portal/invoices/:id',
    {
      config: { auth },
      schema: {
        tags: ['portal'],
        summary: 'An invoice with its lines, subtotals and tax-free totals, as its client sees it',
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Ref('PortalInvoice') },
      },
    },
    async (request) => {
      const row = await findInvoiceRow(ctx, request, request.params.id);
      const lines = await invoiceLines(ctx.db, row.id);
      return { ...toPortalInvoice(row), lines: lines.map((l) => toPortalLine(l, row.minor_units)) };
    },
  );
}
