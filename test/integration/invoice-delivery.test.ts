import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport } from 'nodemailer';
import { INVOICE_DELIVERY_ATTEMPTS } from '../../src/db/invoice-deliveries.ts';
import { startBounceListener, type BounceListener } from '../../src/notifications/bounce-listener.ts';
import { extractPdfText } from '../unit/documents/helpers.ts';
import { closedInvoice } from '../helpers/closed-invoice.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Invoices e-mailed through a real SMTP server started here. It refuses one mailbox for
// good (550: a bounce), answers another "try later" (451) a given number of times, and
// accepts the rest; the close e-mails the invoice it issues, and the API resends it.

interface Mail {
  to: string[];
  /** The envelope sender: where the receiving side sends a bounce. */
  returnPath: string;
  raw: string;
}

const mails: Mail[] = [];
const temporaryFailures = new Map<string, number>();
let smtp: SMTPServer;
let hub: TestHub;
let invoiceId = '';
let customerId = '';
const TENANT = 'd1b2c3d4-0000-4000-8000-0000000000d1';
const BOUNCE_DOMAIN = 'bounces.northwind.example';
let bounces: BounceListener;

function send(method: 'GET' | 'POST' | 'PATCH', url: string, key: string, payload?: object) {
  return hub.app.inject({ method, url, headers: hub.auth(key), ...(payload ? { payload } : {}) });
}

/** Waits for a delivery to settle, making a job that waits out its backoff due now, as time passing would. */
async function settled(deliveryId: string): Promise<Record<string, any>> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const list = (await send('GET', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.auditor)).json().items as Record<string, any>[];
    const found = list.find((d) => d.id === deliveryId);
    if (found && found.status !== 'pending') return found;
    await sql`update graphile_worker._private_jobs set run_at = now() where locked_at is null`.execute(hub.ctx.db);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`delivery ${deliveryId} still pending`);
}

/** The attachment parts of a MIME message: content type, file name and decoded bytes. */
function attachments(raw: string): { contentType: string; filename: string; body: Buffer }[] {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(raw)?.[1];
  if (!boundary) return [];
  return raw
    .split(`--${boundary}`)
    .filter((part) => /Content-Disposition: attachment/i.test(part))
    .map((part) => {
      const [head, ...rest] = part.split(/\r?\n\r?\n/);
      return {
        contentType: /Content-Type: ([^;\r\n]+)/i.exec(head!)![1]!,
        filename: /filename="?([^";\r\n]+)"?/i.exec(head!)![1]!,
        body: Buffer.from(rest.join('').replace(/\s+/g, ''), 'base64'),
      };
    });
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address === 'nobody@client.example') return callback(Object.assign(new Error('5.1.1 mailbox unknown'), { responseCode: 550 }));
      const left = temporaryFailures.get(address.address) ?? 0;
      if (left > 0) {
        temporaryFailures.set(address.address, left - 1);
        return callback(Object.assign(new Error('4.2.0 mailbox busy, try later'), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), returnPath: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  hub = await createTestHub({
    worker: true,
    env: { HUB_SMTP_URL: `smtp://127.0.0.1:${port}`, HUB_MAIL_FROM: 'Northwind Billing <billing@northwind.example>', HUB_PUBLIC_URL: 'https://billing.northwind.example', HUB_BOUNCE_DOMAIN: BOUNCE_DOMAIN },
  });
  bounces = await startBounceListener(hub.ctx, { host: '127.0.0.1', port: 0, domain: BOUNCE_DOMAIN });
  ({ invoiceId, customerId } = await closedInvoice(hub, TENANT, 'Mailed Client', { billingEmail: 'accounts@client.example' }));
}, 120_000);

afterAll(async () => {
  await bounces?.close();
  await hub?.close();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

describe('invoice delivery by e-mail', () => {
  it('sends the invoice the close issued to the billing contact, summary PDF attached and a link to the detail', async () => {
    const first = (await send('GET', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance)).json().items;
    expect(first).toHaveLength(1);
    const sent = await settled(first[0].id);
    expect(sent).toMatchObject({ recipient: 'accounts@client.example', status: 'sent', attempts: 1, lastError: null, requestedBy: 'system:billing:close_customer' });
    expect(sent.sentAt).not.toBeNull();

    const { number } = (await send('GET', `/v1/invoices/${invoiceId}`, hub.keys.finance)).json();
    const mail = mails.find((m) => m.to.includes('accounts@client.example'))!;
    expect(mail.raw).toMatch(/^From: Northwind Billing <billing@northwind\.example>$/m);
    expect(mail.raw).toMatch(new RegExp(`^Subject: Invoice ${number} for 2026-10$`, 'm'));
    const flat = mail.raw.replace(/=\r?\n/g, '');
    expect(flat).toContain('1000.00 USD');
    expect(flat).toContain(`https://billing.northwind.example/v1/portal/invoices/${invoiceId}`);
    const [pdf, ...others] = attachments(mail.raw);
    expect(others).toEqual([]);
    expect(pdf!.contentType).toBe('application/pdf');
    expect(pdf!.filename).toMatch(/summary\.pdf$/);
    expect(pdf!.body.subarray(0, 5).toString()).toBe('%PDF-');
    const text = extractPdfText(pdf!.body).pages.flat().join('\n');
    expect(text).toContain(number);
    expect(text).toContain('1,000.00');
  });

  it('records a refused recipient as bounced, with the reason, without trying again', async () => {
    const res = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.billing_ops, { recipient: 'nobody@client.example' });
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toMatchObject({ status: 'pending', attempts: 0 });
    const bounced = await settled(res.json().id);
    expect(bounced).toMatchObject({ status: 'bounced', attempts: 1, smtpStatus: 550, sentAt: null });
    expect(bounced.lastError).toContain('mailbox unknown');
  });

  it('tries again after a temporary refusal and records the attempts it took', async () => {
    temporaryFailures.set('ap@client.example', 2);
    const res = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, { recipient: 'ap@client.example' });
    const sent = await settled(res.json().id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    expect(mails.filter((m) => m.to.includes('ap@client.example'))).toHaveLength(1);
  });

  it('marks the delivery failed with the last reason once it runs out of attempts', async () => {
    temporaryFailures.set('full@client.example', 1_000);
    const res = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, { recipient: 'full@client.example' });
    const failed = await settled(res.json().id);
    expect(failed).toMatchObject({ status: 'failed', attempts: INVOICE_DELIVERY_ATTEMPTS, smtpStatus: 451 });
    expect(failed.lastError).toContain('try later');
  }, 90_000);

  it('refuses a delivery with no recipient, naming the field, and an unknown invoice', async () => {
    await send('PATCH', `/v1/customers/${customerId}`, hub.keys.admin, { billingEmail: null });
    const none = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, {});
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ field: 'recipient' });
    const bad = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, { recipient: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect((await send('POST', '/v1/invoices/00000000-0000-4000-8000-000000000000/deliveries', hub.keys.finance, {})).statusCode).toBe(404);
  });

  it('counts the outcomes in the health metrics: 2 sent, 1 bounced, 1 failed is a success ratio of 0.5', async () => {
    const figures = (await send('GET', '/v1/health-metrics', hub.keys.auditor)).json();
    expect(figures.invoiceDelivery).toEqual({ pending: 0, sent: 2, bounced: 1, failed: 1, successRatio: '0.5' });
    const text = (await send('GET', '/metrics', hub.keys.auditor)).body;
    expect(text).toContain('hub_invoice_deliveries{status="bounced"} 1');
    expect(text).toContain('hub_invoice_delivery_success_ratio 0.5');
  });
  it("uses the customer's invoice format (set by its onboarding template) for the document's default and the e-mailed PDF", async () => {
    const html = async (query: string) => {
      const res = await send('GET', `/v1/invoices/${invoiceId}/document?type=html${query}`, hub.keys.finance);
      expect(res.statusCode, res.body).toBe(200);
      return res.body;
    };
    const setFormat = (format: 'detailed' | 'summary' | null) => hub.ctx.db.updateTable('customers').set({ invoice_format: format }).where('id', '=', customerId).execute();
    // No format chosen: the document's default stays detailed.
    expect(await html('')).toContain('Detailed charges');
    await setFormat('summary');
    expect(await html('')).toContain('Summary of charges');
    expect(await html('&format=detailed')).toContain('Detailed charges');

    await setFormat('detailed');
    const res = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, { recipient: 'detail@client.example' });
    expect(res.statusCode, res.body).toBe(202);
    expect(await settled(res.json().id)).toMatchObject({ status: 'sent' });
    const [pdf] = attachments(mails.find((m) => m.to.includes('detail@client.example'))!.raw);
    expect(pdf!.filename).toMatch(/detailed\.pdf$/);
    await setFormat(null);
  });

  describe('late bounces (RFC 3464 delivery-status notifications)', () => {
    /** A DSN as a receiving MTA writes it (RFC 3464 §6's example, our addresses), sent from its own SMTP client. */
    function dsn(input: { originalMessageId: string; recipient: string; action?: string }): string {
      return [
        'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.client.example>',
        'To: <billing@northwind.example>',
        'Subject: Returned mail: see transcript for details',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="RAA14128.773615765/mx.client.example"',
        '',
        'This is a MIME-encapsulated message',
        '',
        '--RAA14128.773615765/mx.client.example',
        '',
        'The original message was received at Mon, 7 Dec 2026 21:40:00 +0000',
        '',
        '   ----- The following addresses had permanent fatal errors -----',
        `<${input.recipient}>`,
        '',
        '--RAA14128.773615765/mx.client.example',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.client.example',
        'Arrival-Date: Mon, 7 Dec 2026 21:40:00 +0000',
        '',
        `Original-Recipient: rfc822;${input.recipient}`,
        `Final-Recipient: RFC822; ${input.recipient}`,
        `Action: ${input.action ?? 'failed'}`,
        'Status: 5.1.1',
        'Remote-MTA: dns; store.client.example',
        'Diagnostic-Code: smtp; 550 5.1.1 <' + input.recipient + '>... User unknown',
        '',
        '--RAA14128.773615765/mx.client.example',
        'Content-Type: text/rfc822-headers',
        '',
        `Message-ID: ${input.originalMessageId}`,
        'From: Northwind Billing <billing@northwind.example>',
        `To: ${input.recipient}`,
        'Subject: Invoice',
        '',
        '--RAA14128.773615765/mx.client.example--',
        '',
      ].join('\r\n');
    }

    async function deliverReport(to: string, raw: string) {
      const client = createTransport({ host: '127.0.0.1', port: bounces.port, secure: false, ignoreTLS: true });
      try {
        return await client.sendMail({ envelope: { from: '', to: [to] }, raw });
      } finally {
        client.close();
      }
    }

    async function sentDelivery(recipient: string): Promise<Record<string, any>> {
      const res = await send('POST', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.finance, { recipient });
      expect(res.statusCode, res.body).toBe(202);
      const sent = await settled(res.json().id);
      expect(sent.status).toBe('sent');
      return sent;
    }

    async function statusOf(deliveryId: string, until: string): Promise<Record<string, any>> {
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
        const list = (await send('GET', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.auditor)).json().items as Record<string, any>[];
        const found = list.find((d) => d.id === deliveryId)!;
        if (found.status === until) return found;
      }
      throw new Error(`delivery ${deliveryId} never became ${until}`);
    }

    it('sends each invoice e-mail with its own return path on the bounce domain', async () => {
      const sent = await sentDelivery('moved@client.example');
      const mail = mails.find((m) => m.to.includes('moved@client.example'))!;
      expect(mail.returnPath).toBe(`bounce+${sent.id}@${BOUNCE_DOMAIN}`);
      expect(mail.raw).toMatch(/^From: Northwind Billing <billing@northwind\.example>$/m);
    });

    it('marks a sent delivery bounced when a DSN comes back to its return path, with recipient, status and diagnostic', async () => {
      const sent = await sentDelivery('gone@client.example');
      // The Message-ID quoted is another's: the return path alone decides.
      await deliverReport(`bounce+${sent.id}@${BOUNCE_DOMAIN}`, dsn({ originalMessageId: '<someone-else@northwind.example>', recipient: 'gone@client.example' }));
      const bounced = await statusOf(sent.id, 'bounced');
      expect(bounced).toMatchObject({ smtpStatus: 550, lastError: 'bounced after sending: Final-Recipient gone@client.example; Status 5.1.1; Diagnostic-Code smtp; 550 5.1.1 <gone@client.example>... User unknown' });
      expect(bounced.sentAt).not.toBeNull();
    });

    it("matches a DSN sent to the domain's plain bounce address by the original's Message-ID", async () => {
      const sent = await sentDelivery('left@client.example');
      const { message_id: messageId } = await hub.ctx.db.selectFrom('invoice_deliveries').select('message_id').where('id', '=', sent.id).executeTakeFirstOrThrow();
      // The id the report quotes is the one the client's server received.
      expect(mails.find((m) => m.to.includes('left@client.example'))!.raw.replace(/\r?\n[ \t]+/g, ' ')).toContain(`Message-ID: ${messageId}`);
      await deliverReport(`postmaster@${BOUNCE_DOMAIN}`, dsn({ originalMessageId: messageId!, recipient: 'left@client.example' }));
      expect(await statusOf(sent.id, 'bounced')).toMatchObject({ smtpStatus: 550, lastError: expect.stringContaining('Final-Recipient left@client.example; Status 5.1.1') });
    });

    it('ignores a delay report and an auto-reply, and relays nothing for other domains', async () => {
      const sent = await sentDelivery('slow@client.example');
      const bounceTo = `bounce+${sent.id}@${BOUNCE_DOMAIN}`;
      await deliverReport(bounceTo, dsn({ originalMessageId: '<x@northwind.example>', recipient: 'slow@client.example', action: 'delayed' }));
      await deliverReport(bounceTo, 'From: slow@client.example\r\nSubject: Out of office\r\n\r\nBack on Monday.\r\n');
      const list = (await send('GET', `/v1/invoices/${invoiceId}/deliveries`, hub.keys.auditor)).json().items as Record<string, any>[];
      expect(list.find((d) => d.id === sent.id)).toMatchObject({ status: 'sent', lastError: null });
      await expect(deliverReport('someone@elsewhere.example', dsn({ originalMessageId: '<x@y>', recipient: 'a@b.example' }))).rejects.toThrow(/relaying denied/);
    });
  });
});
