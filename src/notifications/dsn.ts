/**
 * The parts of an RFC 3464 delivery-status notification (a `multipart/report;
 * report-type=delivery-status` message) that say which message failed for whom and why.
 * Only what a bounce needs is read: the per-recipient fields of the
 * `message/delivery-status` part and the Message-ID of the returned original
 * (`text/rfc822-headers` or `message/rfc822`).
 */
export interface DsnRecipient {
  /** The address the reporting server tried, without its `rfc822;` type. */
  finalRecipient: string;
  /** `failed`, `delayed`, `delivered`, `relayed` or `expanded`. */
  action: string;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`. */
  status: string;
  /** The remote server's answer, e.g. `smtp; 550 5.1.1 user unknown`; null when absent. */
  diagnosticCode: string | null;
}

export interface DeliveryStatusReport {
  recipients: DsnRecipient[];
  /** The Message-ID of the message the report is about, angle brackets kept; null when not returned. */
  originalMessageId: string | null;
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Header fields of a block, unfolded, names lower-cased; the first of a repeated name wins. */
function headerFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

function splitHead(text: string): Part {
  const at = /\r?\n\r?\n/.exec(text);
  if (!at) return { headers: headerFields(text), body: '' };
  return { headers: headerFields(text.slice(0, at.index)), body: text.slice(at.index + at[0].length) };
}

function mediaType(headers: Map<string, string>): string {
  return (headers.get('content-type') ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
}

function parameter(headerValue: string, name: string): string | null {
  const match = new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(headerValue);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

function subparts(part: Part): Part[] {
  const boundary = parameter(part.headers.get('content-type') ?? '', 'boundary');
  if (!boundary) return [];
  const delimiter = `--${boundary}`;
  const pieces = part.body.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // The first piece is the preamble; the one starting with "--" the epilogue.
  return pieces
    .slice(1)
    .filter((p) => !p.startsWith('--'))
    .map((p) => splitHead(p.replace(/^[ \t]*\r?\n/, '')));
}

/** `rfc822; a@b.example` → `a@b.example`. */
function typedValue(value: string | undefined): string {
  if (!value) return '';
  const semi = value.indexOf(';');
  return (semi >= 0 ? value.slice(semi + 1) : value).trim();
}

/**
 * Reads a DSN from the raw message; null when it is not one (an auto-reply, spam, a
 * message from a person), which a bounce address receives too and must ignore.
 */
export function parseDeliveryStatusReport(raw: string): DeliveryStatusReport | null {
  const message = splitHead(raw);
  const contentType = message.headers.get('content-type') ?? '';
  if (mediaType(message.headers) !== 'multipart/report' || parameter(contentType, 'report-type')?.toLowerCase() !== 'delivery-status') return null;
  const parts = subparts(message);
  const status = parts.find((p) => mediaType(p.headers) === 'message/delivery-status');
  if (!status) return null;
  // Per-message fields come first, then one block per recipient, blank-line separated.
  const blocks = status.body.split(/\r?\n\s*\r?\n/).filter((b) => b.trim() !== '');
  const recipients = blocks
    .slice(1)
    .map(headerFields)
    .filter((f) => f.has('final-recipient') || f.has('original-recipient'))
    .map((f) => ({
      finalRecipient: typedValue(f.get('final-recipient') ?? f.get('original-recipient')),
      action: (f.get('action') ?? '').toLowerCase(),
      status: (f.get('status') ?? '').split(/\s/)[0]!,
      diagnosticCode: f.get('diagnostic-code') ?? null,
    }));
  const original = parts.find((p) => ['text/rfc822-headers', 'message/rfc822'].includes(mediaType(p.headers)));
  const messageId = original ? (splitHead(original.body).headers.get('message-id') ?? null) : null;
  return { recipients, originalMessageId: messageId?.trim() || null };
}
