/**
 * The Xero sandbox's credit notes, allocations and payments (Accounting API paths), and
 * its control API under /_sandbox: a payment received or a void made in Xero, as a person
 * would, then the signed INVOICE webhook Xero sends for it delivered to the hub.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { XeroValidation, type XeroObject, type XeroOrganisation } from './organisation.ts';
import { SANDBOX_BANK_ACCOUNT, type XeroReceivables } from './receivables.ts';

type Write = (collection: string, apply: (item: XeroObject, req: FastifyRequest) => XeroObject) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type WhereFilter = (where: string | undefined) => (item: XeroObject) => boolean;

export function registerXeroReceivableRoutes(api: FastifyInstance, receivables: XeroReceivables, write: Write, whereFilter: WhereFilter): void {
  api.get('/CreditNotes', async (req) => ({ CreditNotes: [...receivables.creditNotes.values()].filter(whereFilter((req.query as Record<string, string>).where)) }));
  api.get('/CreditNotes/:id', async (req, reply) => {
    const creditNote = receivables.creditNotes.get((req.params as { id: string }).id.toLowerCase());
    return creditNote ? { CreditNotes: [creditNote] } : reply.code(404).send({ Title: 'Not Found', Status: 404, Detail: "The resource you're looking for cannot be found" });
  });
  api.put('/CreditNotes', write('CreditNotes', (item) => receivables.createCreditNote(item)));
  api.put('/CreditNotes/:id/Allocations', write('Allocations', (item, req) => receivables.allocate((req.params as { id: string }).id.toLowerCase(), item)));
  api.get('/Payments', async (req) => ({ Payments: [...receivables.payments.values()].filter(whereFilter((req.query as Record<string, string>).where)) }));
  api.put('/Payments', write('Payments', (item) => receivables.createPayment(item)));
}

export interface XeroWebhookSender {
  tenantId: string;
  /** The webhook signing key Xero shows for the app's subscription; the hub's connection stores it as webhookKey. */
  webhookKey: string;
  apiUrl: () => string;
  now: () => Date;
}

interface ControlBody {
  /** The hub's webhook URL (…/webhooks/xero); none: no delivery. */
  deliverTo?: string;
  amount?: string;
  date?: string;
}

export function registerXeroControlRoutes(app: FastifyInstance, org: XeroOrganisation, receivables: XeroReceivables, sender: XeroWebhookSender): void {
  app.post<{ Params: { id: string }; Body: ControlBody | undefined }>('/_sandbox/invoices/:id/payments', async (req, reply) => {
    const id = req.params.id.toLowerCase();
    const { amount, date, deliverTo } = req.body ?? {};
    if (typeof amount !== 'string' || !/^\d+(\.\d{1,2})?$/.test(amount)) return reply.code(400).send({ error: 'amount must be a decimal string with at most 2 places' });
    const payment = refusedAs400(reply, () => receivables.createPayment({ Invoice: { InvoiceID: id }, Account: { Code: SANDBOX_BANK_ACCOUNT.Code }, Amount: Number(amount), ...(date ? { Date: date } : {}) }));
    if (!payment) return reply;
    const delivery = deliverTo ? await deliverInvoiceEvent(sender, deliverTo, id) : null;
    return { payment, invoice: org.invoices.get(id), delivery };
  });
  app.post<{ Params: { id: string }; Body: ControlBody | undefined }>('/_sandbox/invoices/:id/void', async (req, reply) => {
    const id = req.params.id.toLowerCase();
    const invoice = refusedAs400(reply, () => org.updateInvoiceStatus(id, { Status: 'VOIDED' }));
    if (!invoice) return reply;
    const deliverTo = req.body?.deliverTo;
    return { invoice, delivery: deliverTo ? await deliverInvoiceEvent(sender, deliverTo, id) : null };
  });
}

/** Xero's rule broken by a control call: a 400 naming it, as the API would. */
function refusedAs400(reply: FastifyReply, run: () => XeroObject): XeroObject | undefined {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof XeroValidation)) throw err;
    void reply.code(400).send({ error: err.messages.join('; ') });
    return undefined;
  }
}

let sequence = 0;

/** Xero's thin INVOICE UPDATE event, signed: x-xero-signature = base64(HMAC-SHA256(raw body, webhook key)). */
export async function deliverInvoiceEvent(sender: XeroWebhookSender, deliverTo: string, invoiceId: string): Promise<{ status: number; body: string }> {
  sequence++;
  const event = {
    resourceUrl: `${sender.apiUrl()}/Invoices/${invoiceId}`,
    resourceId: invoiceId,
    eventDateUtc: sender.now().toISOString().replace('Z', ''),
    eventType: 'UPDATE',
    eventCategory: 'INVOICE',
    tenantId: sender.tenantId,
    tenantType: 'ORGANISATION',
  };
  const body = JSON.stringify({ events: [event], firstEventSequence: sequence, lastEventSequence: sequence, entropy: randomBytes(10).toString('hex').toUpperCase() });
  const response = await fetch(deliverTo, { method: 'POST', headers: { 'content-type': 'application/json', 'x-xero-signature': createHmac('sha256', sender.webhookKey).update(body).digest('base64') }, body });
  return { status: response.status, body: await response.text() };
}
