import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { lineMappingProblems, type LineMappingProblem } from '../../db/accounting-problems.ts';
import { writeAudit } from '../../db/audit.ts';
import { LEDGER_STATUSES, type LedgerStatus } from '../../mappings/accounting/ledger-status.ts';
import { ERP_SYSTEMS, type ErpSystem } from '../../mappings/accounting/line-accounts.ts';
import { enqueueJob } from '../../jobs/enqueue.ts';
import { POST_INVOICE_TASK, postingKey } from '../../jobs/erp/post-invoice.ts';
import { latePartsOfInvoices } from '../../db/invoice-posting-lines.ts';
import { INVOICE_PART, type DocumentType } from '../../mappings/accounting/posting-parts.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../problem.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

// Posting a close to an ERP: finance approves a billing run for posting to one ERP
// connection; one job per invoice posts it exactly once. An invoice with unmapped lines is
// not queued: it is listed as blocked, naming the lines.

const PostingSchema = Type.Object({
  id: Uuid,
  system: Type.Enum([...ERP_SYSTEMS]),
  part: Type.String({
    pattern: '^(invoice|late-[0-9]{4}-[0-9]{2})$',
    description: "What of the invoice this document carries: 'invoice' (its own lines) or 'late-YYYY-MM', a late-usage adjustment for that period, posted as a document of its own",
  }),
  documentType: Type.Enum(['invoice', 'credit_note'], { description: 'credit_note: a late-usage adjustment that takes away, posted as a credit note (Xero ACCRECCREDIT, QuickBooks CreditMemo, NetSuite creditMemo)' }),
  connectionId: Uuid,
  status: Type.Enum(['queued', 'posting', 'posted', 'blocked', 'failed', 'voided', 'credited'], {
    description: 'voided: a later revision replaced the document and it was voided (or was voided in the ERP); credited: it was paid in the ERP, so a credit note reversed it',
  }),
  documentId: Type.Union([Type.String(), Type.Null()], { description: "The ERP's id of the document" }),
  documentNumber: Type.Union([Type.String(), Type.Null()]),
  documentTotal: Type.Union([Type.String(), Type.Null()], { description: 'What the ERP document totals before tax' }),
  attempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  problems: Type.Union([Type.Array(Type.Unknown()), Type.Null()], { description: 'The unmapped lines (or customer) that block the posting' }),
  postedAt: Type.Union([Timestamp, Type.Null()]),
  voidedAt: Type.Union([Timestamp, Type.Null()]),
  credit: Type.Union(
    [Type.Object({ documentId: Type.String(), documentNumber: Type.String(), total: Type.String({ description: 'Before tax, equal to the credited document' }), creditedAt: Timestamp }), Type.Null()],
    { description: 'The credit note (Xero) or credit memo (QuickBooks) that reversed the document when a revision replaced it after it was paid' },
  ),
  erpStatus: Type.Union([Type.Enum([...LEDGER_STATUSES]), Type.Null()], {
    description: "The document in the ERP's ledger, as its webhooks report it and the hub reads it back: open, partly_paid, paid, voided_in_erp; null until the ERP reported anything",
  }),
  amountPaid: Type.Union([Type.String(), Type.Null()], { description: 'What the ERP shows settled on the document' }),
  erpStatusAt: Type.Union([Timestamp, Type.Null()]),
  updatedAt: Timestamp,
});

const BlockedInvoice = Type.Object({
  invoiceId: Uuid,
  invoiceNumber: Type.String(),
  lines: Type.Array(Type.Object({ lineId: Uuid, position: Type.Integer(), description: Type.String(), problems: Type.Array(Type.Object({ field: Type.String(), reason: Type.String() })) })),
});

/**
 * One job queue per connection and customer: a customer's postings (each revision, each
 * late part) run one after another, so a revision never posts while an earlier one is
 * still in flight, while different customers' postings run side by side within the
 * connection's limiter (the ERP's documented rate and concurrency).
 */
const postingQueue = (connectionId: string, customerId: string) => `erp:${connectionId}:${customerId}`;

export function erpPostingRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.post(
    '/v1/billing-runs/:id/post',
    {
      config: { auth: { roles: ['finance'] }, idempotent: true },
      schema: {
        tags: ['accounting'],
        summary: "Approve a close for posting: one job per issued invoice posts it to the ERP connection exactly once",
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ connectionId: { ...Uuid, description: 'The ERP connection (quickbooks, xero or netsuite) to post to' } }, { additionalProperties: false }),
        response: {
          202: Type.Object({
            system: Type.Enum([...ERP_SYSTEMS]),
            queued: Type.Integer({ description: 'Documents whose posting job was queued: each invoice, and each late-usage adjustment it carries' }),
            alreadyPosted: Type.Integer({ description: 'Documents already posted' }),
            blocked: Type.Array(BlockedInvoice, { description: 'Invoices not queued because lines have no mapping; fix them and post again' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const runId = request.params.id;
      const run = await ctx.db.selectFrom('billing_runs').select(['id', 'status', 'period']).where('id', '=', runId).executeTakeFirst();
      if (!run) throw notFound('billing run', runId);
      if (run.status !== 'succeeded' && run.status !== 'partial') throw conflict(`billing run ${runId} is ${run.status}: only a finished close can be posted`);
      const connection = await ctx.db.selectFrom('connections').select(['id', 'provider', 'status']).where('id', '=', request.body.connectionId).executeTakeFirst();
      if (!connection || !(ERP_SYSTEMS as readonly string[]).includes(connection.provider)) {
        throw badRequest('connectionId', connection ? `is a ${connection.provider} connection, not an ERP (${ERP_SYSTEMS.join(', ')})` : 'no such connection');
      }
      if (connection.status !== 'active') throw badRequest('connectionId', `the connection is ${connection.status}`);
      const system = connection.provider as ErpSystem;

      const invoices = await ctx.db.selectFrom('invoices').select(['id', 'number', 'customer_id']).where('billing_run_id', '=', runId).where('status', '=', 'issued').orderBy('number').execute();
      const problems = await lineMappingProblems(ctx.db, system, { billingRunId: runId }, 100_000);
      const blockedLines = new Map<string, LineMappingProblem[]>();
      for (const p of problems.items) blockedLines.set(p.invoiceId, [...(blockedLines.get(p.invoiceId) ?? []), p]);

      const latePartsOf = await latePartsOfInvoices(ctx.db, invoices.map((i) => i.id));
      const { actor } = actorOf(request);
      const result = await ctx.db.transaction().execute(async (trx) => {
        let queued = 0;
        let alreadyPosted = 0;
        const blocked: { invoiceId: string; invoiceNumber: string; lines: { lineId: string; position: number; description: string; problems: { field: string; reason: string }[] }[] }[] = [];
        for (const invoice of invoices) {
          const lines = blockedLines.get(invoice.id);
          // The invoice's own lines, then each late-usage adjustment on it as a document of its own.
          for (const part of [INVOICE_PART, ...(latePartsOf.get(invoice.id) ?? [])]) {
            const existing = await trx.selectFrom('erp_postings').select(['id', 'status']).where('invoice_id', '=', invoice.id).where('system', '=', system).where('part', '=', part).forUpdate().executeTakeFirst();
            if (existing && ['posted', 'voided', 'credited'].includes(existing.status)) {
              alreadyPosted++;
              continue;
            }
            const row = {
              connection_id: connection.id,
              status: lines ? 'blocked' : 'queued',
              problems: lines ? JSON.stringify(lines) : null,
              last_error: lines ? `${lines.length} line(s) have no ${system} mapping` : null,
              requested_by: actor,
            };
            const posting = await trx
              .insertInto('erp_postings')
              .values({ invoice_id: invoice.id, system, part, idempotency_key: postingKey(invoice.id, part), ...row })
              .onConflict((oc) => oc.columns(['invoice_id', 'system', 'part']).doUpdateSet(row))
              .returning('id')
              .executeTakeFirstOrThrow();
            if (lines) continue;
            await enqueueJob(trx, POST_INVOICE_TASK, { postingId: posting.id }, { jobKey: `erp-post:${system}:${invoice.id}${part === INVOICE_PART ? '' : `:${part}`}`, queueName: postingQueue(connection.id, invoice.customer_id) });
            queued++;
          }
          if (lines) blocked.push({ invoiceId: invoice.id, invoiceNumber: invoice.number, lines: lines.map(({ lineId, position, description, problems }) => ({ lineId, position, description, problems })) });
        }
        await writeAudit(trx, {
          ...actorOf(request),
          action: 'billing_run.post',
          entity: 'billing_run',
          entityId: runId,
          before: null,
          after: { system, connectionId: connection.id, queued, alreadyPosted, blocked: blocked.map((b) => b.invoiceNumber) },
        });
        return { system, queued, alreadyPosted, blocked };
      });
      return reply.code(202).send(result);
    },
  );

  r.get(
    '/v1/invoices/:id/postings',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['accounting'],
        summary: "The invoice's documents in each ERP: document id, status and attempts",
        params: Type.Object({ id: Uuid }),
        response: { 200: Type.Object({ items: Type.Array(PostingSchema) }) },
      },
    },
    async (request) => {
      const invoice = await ctx.db.selectFrom('invoices').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!invoice) throw notFound('invoice', request.params.id);
      const rows = await ctx.db.selectFrom('erp_postings').selectAll().where('invoice_id', '=', invoice.id).orderBy('system').orderBy('part').execute();
      return {
        items: rows.map((p) => ({
          id: p.id,
          system: p.system as ErpSystem,
          part: p.part,
          documentType: p.document_type as DocumentType,
          connectionId: p.connection_id,
          status: p.status as 'queued',
          documentId: p.document_id,
          documentNumber: p.document_number,
          documentTotal: p.document_total,
          attempts: p.attempts,
          lastError: p.last_error,
          problems: (p.problems as unknown[] | null) ?? null,
          postedAt: p.posted_at?.toISOString() ?? null,
          voidedAt: p.voided_at?.toISOString() ?? null,
          credit:
            p.credit_document_id && p.credited_at
              ? { documentId: p.credit_document_id, documentNumber: p.credit_document_number ?? '', total: p.credit_total ?? '0', creditedAt: p.credited_at.toISOString() }
              : null,
          erpStatus: (p.erp_status as LedgerStatus | null) ?? null,
          amountPaid: p.amount_paid,
          erpStatusAt: p.erp_status_at?.toISOString() ?? null,
          updatedAt: p.updated_at.toISOString(),
        })),
      };
    },
  );
}
