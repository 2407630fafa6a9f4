/**
 * The QuickBooks sandbox's credit memos and payments (Accounting API paths), and its
 * control API under /_sandbox: a payment received or a void made in QuickBooks, as a
 * person would, then the signed webhook Intuit sends for it delivered to the hub.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QboFault, type QboObject, type QuickBooksCompany } from './company.ts';
import type { QuickBooksReceivables } from './receivables.ts';

type Write = (run: (body: QboObject, req: FastifyRequest) => QboObject) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type Answer = (run: () => QboObject) => { status: number; body: unknown };

export function registerQuickBooksReceivableRoutes(api: FastifyInstance, receivables: QuickBooksReceivables, write: Write, answer: Answer): void {
  api.post('/creditmemo', write((body) => ({ CreditMemo: receivables.createCreditMemo(body) })));
  api.get('/creditmemo/:id', async (req, reply) => {
    const { status, body } = answer(() => ({ CreditMemo: receivables.readCreditMemo((req.params as { id: string }).id) }));
    return reply.code(status).send(body);
  });
  api.post('/payment', write((body) => ({ Payment: receivables.createPayment(body) })));
  api.get('/payment/:id', async (req, reply) => {
    const { status, body } = answer(() => ({ Payment: receivables.readPayment((req.params as { id: string }).id) }));
    return reply.code(status).send(body);
  });
}

export interface QuickBooksWebhookSender {
  realmId: string;
  /** The app's webhook verifier token; the hub's connection stores it as webhookVerifierToken. */
  verifierToken: string;
  now: () => Date;
}

interface ControlBody {
  /** The hub's webhook URL (…/webhooks/quickbooks); none: no delivery. */
  deliverTo?: string;
  amount?: string;
}

export function registerQuickBooksControlRoutes(app: FastifyInstance, company: QuickBooksCompany, receivables: QuickBooksReceivables, sender: QuickBooksWebhookSender): void {
  app.post<{ Params: { id: string }; Body: ControlBody | undefined }>('/_sandbox/invoices/:id/payments', async (req, reply) => {
    const { amount, deliverTo } = req.body ?? {};
    if (typeof amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(amount)) return reply.code(400).send({ error: 'amount must be a decimal string with at most 2 places' });
    const invoice = company.invoices.get(req.params.id);
    if (!invoice) return reply.code(404).send({ error: `no invoice ${req.params.id}` });
    const payment = refusedAs400(reply, () =>
      receivables.createPayment({ CustomerRef: invoice.CustomerRef, TotalAmt: Number(amount), Line: [{ Amount: Number(amount), LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] }),
    );
    if (!payment) return reply;
    const delivery = deliverTo ? await deliverChange(sender, deliverTo, { name: 'Payment', id: String(payment.Id), operation: 'Create' }) : null;
    return { payment, invoice, delivery };
  });
  app.post<{ Params: { id: string }; Body: ControlBody | undefined }>('/_sandbox/invoices/:id/void', async (req, reply) => {
    const current = company.invoices.get(req.params.id);
    if (!current) return reply.code(404).send({ error: `no invoice ${req.params.id}` });
    const invoice = refusedAs400(reply, () => company.voidInvoice({ Id: current.Id, SyncToken: current.SyncToken }));
    if (!invoice) return reply;
    const delivery = req.body?.deliverTo ? await deliverChange(sender, req.body.deliverTo, { name: 'Invoice', id: String(invoice.Id), operation: 'Void' }) : null;
    return { invoice, delivery };
  });
}

function refusedAs400(reply: FastifyReply, run: () => QboObject): QboObject | undefined {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof QboFault)) throw err;
    void reply.code(400).send({ error: err.errors.map((e) => e.Detail).join('; ') });
    return undefined;
  }
}

/**
 * Intuit's data-change notification (the legacy `eventNotifications` shape, which names
 * the entity and what happened to it, not its new state), signed: intuit-signature =
 * base64(HMAC-SHA256(raw body, verifier token)).
 */
export async function deliverChange(sender: QuickBooksWebhookSender, deliverTo: string, entity: { name: string; id: string; operation: string }): Promise<{ status: number; body: string }> {
  const body = JSON.stringify({ eventNotifications: [{ realmId: sender.realmId, dataChangeEvent: { entities: [{ ...entity, lastUpdated: sender.now().toISOString() }] } }] });
  const response = await fetch(deliverTo, { method: 'POST', headers: { 'content-type': 'application/json', 'intuit-signature': createHmac('sha256', sender.verifierToken).update(body).digest('base64') }, body });
  return { status: response.status, body: await response.text() };
}
