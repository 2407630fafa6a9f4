/**
 * Starts the Xero sandbox: the identity token endpoint (refresh-token rotation), the
 * connections list, and the Accounting API under /api.xro/2.0 with Xero's tenant header,
 * Idempotency-Key replay, per-tenant limits (429 + Retry-After) and validation errors.
 * Point xero-node at it with `xero.accountingApi.basePath = sandbox.apiUrl`. Control:
 * POST /_sandbox/contacts/:id edits a contact (Xero's PascalCase fields) as a person would.
 *
 * @example
 *   const sandbox = await startXeroSandbox();
 *   sandbox.dropResponsesAfterCommit(1); // the next write commits, then its answer is lost
 */
import { createHash, randomBytes } from 'node:crypto';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { listenLocally, takeRefreshGrant } from '../oauth-refresh.ts';
import { Throttle } from '../partner-center/throttle.ts';
import type { ThrottleOptions } from '../partner-center/interfaces.ts';
import { SANDBOX_ACCOUNTS, SANDBOX_TRACKING, XeroOrganisation, XeroValidation, type XeroObject } from './organisation.ts';
import { XeroReceivables } from './receivables.ts';
import { registerXeroControlRoutes, registerXeroReceivableRoutes } from './receivables-routes.ts';

export interface XeroSandboxOptions {
  now?: () => Date;
  host?: string;
  port?: number;
  /** Xero's per-tenant limit is 60 calls a minute: `{ limit: 60, windowSeconds: 60 }`. Default: none. */
  throttle?: ThrottleOptions;
}

export interface XeroSandboxStats {
  calls: number;
  throttled: number;
  writes: number;
  replayed: number;
  dropped: number;
}

export interface XeroSandbox {
  url: string;
  /** The Accounting API base path for xero-node. */
  apiUrl: string;
  tokenUrl: string;
  credentials: { clientId: string; clientSecret: string; refreshToken: string; tenantId: string };
  organisation: XeroOrganisation;
  /** Credit notes, allocations and payments; its webhook key signs the deliveries of /_sandbox/invoices/:id/{payments,void}. */
  receivables: XeroReceivables & { webhookKey: string };
  stats(): XeroSandboxStats;
  setThrottle(options: ThrottleOptions): void;
  /** A fresh access token, for a test or demo that calls the API without the OAuth dance. */
  accessToken(): string;
  /** The next `count` writes are committed and their connection closed before the answer. */
  dropResponsesAfterCommit(count: number): void;
  close(): Promise<void>;
}

/** Xero keeps an Idempotency-Key for 6 minutes from its first use. */
const IDEMPOTENCY_TTL_MS = 6 * 60_000;

export async function startXeroSandbox(options: XeroSandboxOptions = {}): Promise<XeroSandbox> {
  const now = options.now ?? (() => new Date());
  const org = new XeroOrganisation(now);
  const receivables = Object.assign(new XeroReceivables(org, now), { webhookKey: randomBytes(24).toString('base64') });
  const credentials = { clientId: 'XERO-SANDBOX-CLIENT', clientSecret: 'xero-sandbox-secret', refreshToken: `rt-${randomBytes(8).toString('hex')}`, tenantId: org.tenantId };
  const liveRefresh = new Set([credentials.refreshToken]);
  const accessTokens = new Map<string, number>();
  const throttle = new Throttle(options.throttle ?? {}, () => now().getTime());
  const replays = new Map<string, { hash: string; at: number; status: number; body: unknown }>();
  const stats: XeroSandboxStats = { calls: 0, throttled: 0, writes: 0, replayed: 0, dropped: 0 };
  let dropNext = 0;

  const app: FastifyInstance = fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

  app.post('/connect/token', async (req, reply) => {
    const grant = takeRefreshGrant(req, credentials, liveRefresh);
    // Single use: the old refresh token died in takeRefreshGrant and a new one comes with every access token.
    if ('error' in grant) return reply.code(400).send({ error: grant.error });
    const refresh = `rt-${randomBytes(8).toString('hex')}`;
    liveRefresh.add(refresh);
    const access = mintAccessToken();
    return { access_token: access, refresh_token: refresh, expires_in: 1800, token_type: 'Bearer', scope: 'accounting.invoices accounting.manualjournals accounting.contacts accounting.settings offline_access' };
  });

  function mintAccessToken(): string {
    const access = `at-${randomBytes(12).toString('hex')}`;
    accessTokens.set(access, now().getTime() + 1800_000);
    return access;
  }

  const authorised = (req: FastifyRequest) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expires = token ? accessTokens.get(token) : undefined;
    return expires !== undefined && expires > now().getTime();
  };

  app.get('/connections', async (req, reply) => {
    if (!authorised(req)) return reply.code(401).send({ Type: 'Unauthorized', Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful' });
    return [{ id: org.tenantId, tenantId: org.tenantId, tenantType: 'ORGANISATION', tenantName: org.name, createdDateUtc: now().toISOString(), updatedDateUtc: now().toISOString() }];
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        stats.calls++;
        const wait = throttle.admit(org.tenantId);
        if (wait > 0) {
          stats.throttled++;
          return reply.code(429).header('retry-after', String(wait)).header('x-rate-limit-problem', 'minute').send();
        }
        if (!authorised(req)) return reply.code(401).send({ Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful' });
        if (String(req.headers['xero-tenant-id'] ?? '').toLowerCase() !== org.tenantId) {
          return reply.code(403).send({ Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' });
        }
        return undefined;
      });

      api.get('/Accounts', async () => envelope('Accounts', SANDBOX_ACCOUNTS.map((a) => ({ ...a, Status: 'ACTIVE', AccountID: uuidOf(a.Code) }))));
      api.get('/TrackingCategories', async () =>
        envelope('TrackingCategories', SANDBOX_TRACKING.map((c) => ({ TrackingCategoryID: uuidOf(c.Name), Name: c.Name, Status: 'ACTIVE', Options: c.Options.map((o) => ({ TrackingOptionID: uuidOf(`${c.Name}/${o}`), Name: o, Status: 'ACTIVE' })) }))),
      );
      api.get('/Contacts', async (req) => envelope('Contacts', [...org.contacts.values()].filter(whereFilter((req.query as Record<string, string>).where))));
      api.get('/Contacts/:id', async (req, reply) => {
        const contact = org.contacts.get((req.params as { id: string }).id.toLowerCase());
        return contact ? envelope('Contacts', [contact]) : reply.code(404).send(notFound());
      });
      api.get('/Invoices', async (req) => {
        const q = req.query as Record<string, string>;
        const numbers = q.InvoiceNumbers ? new Set(q.InvoiceNumbers.split(',')) : undefined;
        const ids = q.IDs ? new Set(q.IDs.split(',').map((s) => s.toLowerCase())) : undefined;
        return envelope('Invoices', [...org.invoices.values()].filter((i) => (!numbers || numbers.has(String(i.InvoiceNumber))) && (!ids || ids.has(String(i.InvoiceID)))).filter(whereFilter(q.where)));
      });
      api.get('/Invoices/:id', async (req, reply) => {
        const invoice = org.invoices.get((req.params as { id: string }).id.toLowerCase());
        return invoice ? envelope('Invoices', [invoice]) : reply.code(404).send(notFound());
      });
      api.get('/ManualJournals', async (req) => envelope('ManualJournals', [...org.manualJournals.values()].filter(whereFilter((req.query as Record<string, string>).where))));

      const write = (collection: string, apply: (item: XeroObject, req: FastifyRequest) => XeroObject) => async (req: FastifyRequest, reply: FastifyReply) => {
        const key = req.headers['idempotency-key'];
        const hash = createHash('sha256').update(`${req.method} ${req.url} ${JSON.stringify(req.body)}`).digest('hex');
        const nowMs = now().getTime();
        if (typeof key === 'string') {
          const seen = replays.get(key);
          if (seen && nowMs - seen.at < IDEMPOTENCY_TTL_MS) {
            if (seen.hash !== hash) return reply.code(400).send(validation({}, [`Idempotency-Key ${key} is used with a different request`]));
            stats.replayed++;
            return reply.code(seen.status).send(seen.body);
          }
        }
        stats.writes++;
        const items = ((req.body as XeroObject | undefined)?.[collection] as XeroObject[] | undefined) ?? [];
        let status = 200;
        let body: unknown;
        try {
          // Xero applies a batch all or nothing when summarizeErrors is on (the default).
          body = envelope(collection, items.map((item) => apply(item, req)));
        } catch (err) {
          if (!(err instanceof XeroValidation)) throw err;
          status = 400;
          body = validation(err.element, err.messages);
        }
        if (typeof key === 'string') replays.set(key, { hash, at: nowMs, status, body });
        if (dropNext > 0) {
          dropNext--;
          stats.dropped++;
          req.raw.socket.destroy();
          return reply.hijack();
        }
        return reply.code(status).send(body);
      };
      api.put('/Contacts', write('Contacts', (item) => org.createContact(item)));
      api.post('/Contacts/:id', write('Contacts', (item, req) => org.updateContact((req.params as { id: string }).id.toLowerCase(), item)));
      api.put('/Invoices', write('Invoices', (item) => org.createInvoice(item)));
      api.post('/Invoices/:id', write('Invoices', (item, req) => org.updateInvoiceStatus((req.params as { id: string }).id.toLowerCase(), item)));
      api.put('/ManualJournals', write('ManualJournals', (item) => org.createManualJournal(item)));
      registerXeroReceivableRoutes(api, receivables, write, whereFilter);
    },
    { prefix: '/api.xro/2.0' },
  );

  // Someone edits a contact in Xero's UI, behind the hub's back: tests and the demo make drift with it.
  app.post<{ Params: { id: string }; Body: XeroObject | undefined }>('/_sandbox/contacts/:id', async (req, reply) => {
    if (!org.contacts.has(req.params.id.toLowerCase())) return reply.code(404).send(notFound());
    try {
      return org.updateContact(req.params.id.toLowerCase(), req.body ?? {});
    } catch (err) {
      if (err instanceof XeroValidation) return reply.code(400).send(validation(err.element, err.messages));
      throw err;
    }
  });
  registerXeroControlRoutes(app, org, receivables, { tenantId: org.tenantId, webhookKey: receivables.webhookKey, apiUrl: () => `${url}/api.xro/2.0`, now });
  const url = await listenLocally(app, options);
  return {
    url,
    apiUrl: `${url}/api.xro/2.0`,
    tokenUrl: `${url}/connect/token`,
    credentials,
    organisation: org,
    receivables,
    stats: () => ({ ...stats }),
    accessToken: mintAccessToken,
    setThrottle: (t) => throttle.configure(t),
    dropResponsesAfterCommit: (count) => {
      dropNext = count;
    },
    close: () => app.close(),
  };
}

/** Xero also sends Id, Status, ProviderName and DateTimeUTC around a collection; the OpenAPI documents only the collection (and pagination), so the sandbox sends what the spec promises. */
function envelope(collection: string, items: unknown[]): XeroObject {
  return { [collection]: items };
}

function validation(element: XeroObject, messages: string[]): XeroObject {
  return { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred', Elements: [{ ...element, ValidationErrors: messages.map((Message) => ({ Message })) }] };
}

function notFound(): XeroObject {
  return { Title: 'Not Found', Status: 404, Detail: 'The resource you\'re looking for cannot be found' };
}

/** The one form of Xero's `where` the hub sends: `Field=="value"`. */
function whereFilter(where: string | undefined): (item: XeroObject) => boolean {
  const m = where ? /^\s*(\w+)\s*==\s*"(.*)"\s*$/.exec(where) : null;
  if (!m) return () => true;
  return (item) => String(item[m[1]!] ?? '') === m[2];
}

function uuidOf(text: string): string {
  const h = createHash('sha1').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
