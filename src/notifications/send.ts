import type { Transporter } from 'nodemailer';
import { lazyImport } from '../lazy-import.ts';
import { signatureHeader } from './signature.ts';

const WEBHOOK_TIMEOUT_MS = 10_000;

export class DeliveryError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.name = 'DeliveryError';
    this.status = status;
  }
}

/**
 * POSTs the event to a receiver, signed; any 2xx is delivered. Anything else (an error
 * status, a timeout, a refused connection) throws, and the job's backoff tries again.
 */
export async function postWebhook(input: { url: string; secret: string; deliveryId: string; eventType: string; body: string; now?: Date }): Promise<number> {
  const timestamp = Math.floor((input.now ?? new Date()).getTime() / 1000);
  let response: Response;
  try {
    response = await fetch(input.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'csp-billing-hub',
        'x-hub-event': input.eventType,
        'x-hub-delivery': input.deliveryId,
        'x-hub-signature': signatureHeader(input.secret, timestamp, input.body),
      },
      body: input.body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      redirect: 'manual',
    });
  } catch (err) {
    throw new DeliveryError(`the receiver could not be reached: ${(err as Error).message}`);
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new DeliveryError(`the receiver answered HTTP ${response.status}`, response.status);
  return response.status;
}

const loadNodemailer = lazyImport(() => import('nodemailer'));
const transports = new Map<string, Transporter>();

/** One pooled SMTP transport per server URL for the life of the process. */
async function transportFor(smtpUrl: string): Promise<Transporter> {
  const { createTransport } = await loadNodemailer();
  let transport = transports.get(smtpUrl);
  if (!transport) {
    transport = createTransport(smtpUrl);
    transports.set(smtpUrl, transport);
  }
  return transport;
}

export async function sendMail(input: {
  smtpUrl: string | null;
  from: string;
  to: string[];
  subject: string;
  text: string;
  attachments?: { filename: string; content: Buffer; contentType: string }[];
  /** The envelope sender (return path) bounces go to; default: the From address. */
  returnPath?: string | null;
}): Promise<string> {
  if (!input.smtpUrl) throw new DeliveryError('e-mail is not configured: set HUB_SMTP_URL');
  try {
    const info = await (await transportFor(input.smtpUrl)).sendMail({ from: input.from, to: input.to, subject: input.subject, text: input.text, attachments: input.attachments ?? [], ...(input.returnPath ? { envelope: { from: input.returnPath, to: input.to } } : {}) });
    return String(info.messageId);
  } catch (err) {
    const e = err as Error & { responseCode?: number };
    throw new DeliveryError(`the mail server refused the message: ${e.message}`, e.responseCode ?? null);
  }
}
