import type { Task } from 'graphile-worker';
import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { bounceAddress } from '../../db/invoice-deliveries.ts';
import { customerDocumentFormat, findDocumentInvoice, renderStoredInvoice } from '../../db/invoice-document.ts';
import { Decimal } from '../../engine/decimal.ts';
import { DeliveryError, sendMail } from '../../notifications/send.ts';

export interface InvoiceDeliverPayload {
  deliveryId: string;
}

/** SMTP 5xx: the server refused for good (an unknown mailbox, a rejected domain); trying again changes nothing. */
function isBounce(err: unknown): boolean {
  return err instanceof DeliveryError && err.status !== null && err.status >= 500 && err.status <= 599;
}

/** The e-mail's text: what is owed and by when, and where the detail is. */
export function invoiceMailText(input: { customerName: string; number: string; period: string; total: string; currency: string; dueDate: string; detailUrl: string | null }): string {
  return [
    `Dear ${input.customerName},`,
    '',
    `Please find attached invoice ${input.number} for ${input.period}: ${input.total} ${input.currency} (tax excluded), due ${input.dueDate}.`,
    input.detailUrl ? `The detailed invoice (per subscription, resource group and meter) is at ${input.detailUrl}` : 'Ask us for the detailed invoice (per subscription, resource group and meter) if you need it.',
    '',
  ].join('\n');
}

/**
 * `invoice:deliver`: one attempt at e-mailing an invoice with its PDF attached, in the
 * customer's invoice format (its onboarding template's), else the summary.
 * A refused recipient (SMTP 5xx) is a bounce, recorded and not retried; anything else is
 * recorded and rethrown so graphile-worker tries again, and the last attempt marks the
 * delivery failed with its reason.
 */
export function invoiceDeliverTask(ctx: HubContext): Task {
  return async (payload, helpers) => {
    const { deliveryId } = payload as InvoiceDeliverPayload;
    const delivery = await ctx.db.selectFrom('invoice_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    if (!delivery || delivery.status !== 'pending') return;
    const row = await findDocumentInvoice(ctx.db, delivery.invoice_id);
    if (!row) return;
    const attempt = { attempts: sql<number>`attempts + 1` };
    try {
      const pdf = await renderStoredInvoice(ctx.db, row, { format: customerDocumentFormat(row, 'summary'), type: 'pdf' });
      const detailUrl = ctx.config.publicUrl ? `${ctx.config.publicUrl}/v1/portal/invoices/${row.id}` : null;
      const messageId = await sendMail({
        smtpUrl: ctx.config.smtpUrl,
        from: ctx.config.mailFrom,
        to: [delivery.recipient],
        subject: `Invoice ${row.number} for ${row.period}`,
        text: invoiceMailText({ customerName: row.customer_name, number: row.number, period: row.period, total: new Decimal(row.total).toFixed(row.minor_units), currency: row.currency, dueDate: pdf.dueDate, detailUrl }),
        attachments: [{ filename: pdf.filename, content: pdf.body, contentType: pdf.contentType }],
        returnPath: ctx.config.bounceDomain ? bounceAddress(delivery.id, ctx.config.bounceDomain) : null,
      });
      await ctx.db
        .updateTable('invoice_deliveries')
        .set({ ...attempt, status: 'sent', message_id: messageId, sent_at: new Date(), last_error: null, smtp_status: null })
        .where('id', '=', delivery.id)
        .execute();
    } catch (err) {
      const bounced = isBounce(err);
      const last = bounced || helpers.job.attempts >= helpers.job.max_attempts;
      await ctx.db
        .updateTable('invoice_deliveries')
        .set({ ...attempt, status: bounced ? 'bounced' : last ? 'failed' : 'pending', last_error: (err as Error).message, smtp_status: err instanceof DeliveryError ? err.status : null })
        .where('id', '=', delivery.id)
        .execute();
      if (!last) throw err;
      ctx.logger.warn({ deliveryId: delivery.id, invoiceId: row.id, err }, bounced ? 'invoice e-mail bounced' : 'invoice e-mail failed after its last attempt');
    }
  };
}
