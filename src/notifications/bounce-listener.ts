import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { HubContext } from '../context.ts';
import { deliveryIdOfBounceAddress, recordLateBounce } from '../db/invoice-deliveries.ts';
import { parseDeliveryStatusReport, type DsnRecipient } from './dsn.ts';

/** A DSN is a few kilobytes; a returned original with its PDF rarely passes a few hundred. */
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

export interface BounceListener {
  port: number;
  close(): Promise<void>;
}

/** `Status: 5.1.1 (Final-Recipient a@b; smtp; 550 5.1.1 user unknown)`, the reason an operator reads. */
export function bounceReason(r: DsnRecipient): string {
  return `bounced after sending: Final-Recipient ${r.finalRecipient}; Status ${r.status}${r.diagnosticCode ? `; Diagnostic-Code ${r.diagnosticCode}` : ''}`;
}

/** The SMTP reply code in a Diagnostic-Code of type smtp (`smtp; 550 5.1.1 …` → 550). */
export function smtpCodeOf(diagnosticCode: string | null): number | null {
  const match = /^\s*smtp\s*;\s*([245]\d\d)\b/i.exec(diagnosticCode ?? '');
  return match ? Number(match[1]) : null;
}

/**
 * The hub's own inbound SMTP server for the bounce domain: the return path of every
 * invoice e-mail is `bounce+<delivery id>@<bounce domain>`, whose MX points here, so a
 * delivery-status notification that arrives hours after the mail server took the message
 * marks that delivery bounced. It accepts only its own domain (it is no relay), and
 * anything that is not a failure report (auto-replies, delays) is taken and dropped, as
 * a bounce address must never answer mail.
 */
export async function startBounceListener(ctx: HubContext, options: { host: string; port: number; domain: string }): Promise<BounceListener> {
  const server = new SMTPServer({
    name: options.domain,
    banner: 'csp-billing-hub bounce intake',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onRcptTo(address, _session, callback) {
      const domain = address.address.split('@').pop()?.toLowerCase();
      if (domain !== options.domain.toLowerCase()) return callback(Object.assign(new Error('5.7.1 relaying denied'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) return callback(Object.assign(new Error('5.3.4 message too big'), { responseCode: 552 }));
        const deliveryIds = session.envelope.rcptTo.map((r) => deliveryIdOfBounceAddress(r.address, options.domain));
        handleReport(ctx, Buffer.concat(chunks).toString('utf8'), deliveryIds.find((id) => id !== null) ?? null).then(
          () => callback(),
          (err: unknown) => {
            ctx.logger.error({ err }, 'a bounce could not be recorded');
            callback(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
          },
        );
      });
    },
  });
  server.on('error', (err) => ctx.logger.warn({ err }, 'bounce listener connection error'));
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function handleReport(ctx: HubContext, raw: string, deliveryId: string | null): Promise<void> {
  const report = parseDeliveryStatusReport(raw);
  const failed = report?.recipients.find((r) => r.action === 'failed');
  if (!report || !failed) return;
  const row = await recordLateBounce(ctx.db, { deliveryId, messageId: report.originalMessageId, reason: bounceReason(failed), smtpStatus: smtpCodeOf(failed.diagnosticCode) });
  if (row) ctx.logger.warn({ deliveryId: row.id, invoiceId: row.invoice_id, recipient: failed.finalRecipient, status: failed.status }, 'invoice e-mail bounced after sending');
  else ctx.logger.info({ deliveryId, messageId: report.originalMessageId }, 'a delivery-status report matched no sent invoice e-mail');
}
