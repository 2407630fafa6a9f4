import type { HubContext, IncomingWebhook, StoredWebhook, WebhookEvent, WebhookProvider, WebhookRefusal } from '../../context.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import { headerValue, hmacSha256Matches, refuse } from '../webhooks.ts';
import { quickbooksDeclaration } from './declaration.ts';

/** One entity change of a QuickBooks notification (thin: it names the entity, the job reads it back). */
export interface QuickBooksChange {
  realmId: string;
  /** Entity name as QuickBooks spells it: Invoice, Payment, CreditMemo... */
  name: string;
  id: string;
  /** Create, Update, Delete, Merge, Void, Emailed (CloudEvents: created, updated, ... as given). */
  operation: string;
  lastUpdated: string;
}

interface LegacyPayload {
  eventNotifications?: { realmId?: string; dataChangeEvent?: { entities?: { name?: string; id?: string; operation?: string; lastUpdated?: string }[] } }[];
}
interface CloudEvent {
  specversion?: string;
  id?: string;
  type?: string;
  time?: string;
  intuitentityid?: string;
  intuitaccountid?: string;
}

/**
 * `POST /webhooks/quickbooks`: intuit-signature is base64(HMAC-SHA256(raw body, verifier
 * token)) with the verifier token of one of the active QuickBooks connections; checked
 * before anything is stored. Both payloads Intuit sends are read: the legacy
 * `eventNotifications` and the CloudEvents array (`qbo.payment.created.v1`) apps move to.
 * Each entity change is stored on its own, keyed by realm, entity, id, operation and time.
 */
export function quickbooksWebhookProvider(options: { handle?: WebhookProvider['handle'] } = {}): WebhookProvider {
  return {
    name: quickbooksDeclaration.vendor,
    // Intuit wants a 200 within 3 seconds; what the body says does not matter to it.
    answer: 'ok-empty',
    async accept(request: IncomingWebhook, ctx: HubContext): Promise<WebhookEvent[] | WebhookRefusal> {
      const signature = headerValue(request.headers, quickbooksDeclaration.webhooks.signatureHeader);
      const tokens = (await activeConnections(ctx, quickbooksDeclaration.vendor)).map((c) => c.credentials.webhookVerifierToken).filter((t): t is string => Boolean(t));
      if (tokens.length === 0) return refuse(401, 'no active QuickBooks connection has a webhookVerifierToken to check the signature against');
      if (!tokens.some((token) => hmacSha256Matches(token, request.rawBody, signature, 'base64'))) return refuse(401, 'the intuit-signature does not match the body');
      let payload: unknown;
      try {
        payload = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        return refuse(400, 'the body is not JSON');
      }
      const changes = changesOf(payload);
      if (!changes) return refuse(400, 'the body is neither eventNotifications nor an array of CloudEvents');
      return changes.map((c) => ({ eventId: `${c.realmId}:${c.name}:${c.id}:${c.operation}:${c.lastUpdated}`, body: JSON.stringify(c) }));
    },
    ...(options.handle ? { handle: options.handle } : {}),
  };
}

function changesOf(payload: unknown): QuickBooksChange[] | undefined {
  if (Array.isArray(payload)) {
    const events = payload as CloudEvent[];
    if (!events.every((e) => e.specversion && e.type && e.intuitentityid && e.intuitaccountid)) return undefined;
    // qbo.<entity>.<operation>.v<n>: the entity as QuickBooks capitalises it is not in the type, so match it case-insensitively later.
    return events.map((e) => {
      const [, entity = '', operation = ''] = e.type!.split('.');
      return { realmId: e.intuitaccountid!, name: entity, id: e.intuitentityid!, operation, lastUpdated: e.time ?? e.id ?? '' };
    });
  }
  const notifications = (payload as LegacyPayload | null)?.eventNotifications;
  if (!Array.isArray(notifications)) return undefined;
  return notifications.flatMap((n) =>
    (n.dataChangeEvent?.entities ?? []).map((e) => ({ realmId: String(n.realmId ?? ''), name: String(e.name ?? ''), id: String(e.id ?? ''), operation: String(e.operation ?? ''), lastUpdated: String(e.lastUpdated ?? '') })),
  );
}

export const parseQuickBooksChange = (event: StoredWebhook): QuickBooksChange => JSON.parse(event.body) as QuickBooksChange;
