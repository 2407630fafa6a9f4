/**
 * Starts the QuickBooks Online sandbox: Intuit's token endpoint (refresh tokens that
 * rotate) and the Accounting API under /v3/company/{realmId} with `requestid` replay,
 * the per-realm limits (500 requests a minute, 10 at a time; 429 beyond), Fault errors
 * and a query endpoint for the statements node-quickbooks sends. Point node-quickbooks
 * at it by its endpoint (`qbo.endpoint = sandbox.endpoint`).
 *
 * @example
 *   const sandbox = await startQuickBooksSandbox({ timeScale: 0.01 }); // a "minute" lasts 0.6 s
 *   sandbox.dropResponsesAfterCommit(1); // the next write commits, then its answer is lost
 */
import { randomBytes } from 'node:crypto';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { listenLocally, takeRefreshGrant } from '../oauth-refresh.ts';
import { Throttle } from '../partner-center/throttle.ts';
import { QboFault, QuickBooksCompany, type QboObject } from './company.ts';
import { QboJournalEntries } from './journal-entries.ts';
import { runQuery } from './query.ts';
import { QuickBooksReceivables } from './receivables.ts';
import { registerQuickBooksControlRoutes, registerQuickBooksReceivableRoutes } from './receivables-routes.ts';

export interface QuickBooksSandboxOptions {
  now?: () => Date;
  host?: string;
  port?: number;
  /** Enforce QuickBooks' per-realm limits (500 a minute, 10 concurrent). Default true. */
  limits?: boolean;
  /** The length of the sandbox's "minute" as a fraction of a real one, so a benchmark at the documented rate stays short. Default 1. */
  timeScale?: number;
}

export interface QuickBooksSandboxStats {
  calls: number;
  throttled: number;
  writes: number;
  replayed: number;
  dropped: number;
  maxInFlight: number;
}

export interface QuickBooksSandbox {
  url: string;
  /** node-quickbooks' endpoint (its V3_ENDPOINT_BASE_URL): requests go to `${endpoint}${realmId}/...`. */
  endpoint: string;
  tokenUrl: string;
  credentials: { clientId: string; clientSecret: string; refreshToken: string; realmId: string };
  company: QuickBooksCompany;
  /** Credit memos and payments; its verifier token signs the deliveries of /_sandbox/invoices/:id/{payments,void}. */
  receivables: QuickBooksReceivables & { verifierToken: string };
  stats(): QuickBooksSandboxStats;
  /** Every `n`th API call is refused with 429 (0 = off), to test a storm. */
  refuseEveryNth(n: number): void;
  accessToken(): string;
  /** The next `count` writes (of `entity` only, when given: 'invoice', 'item'...) are committed and their connection closed before the answer. */
  dropResponsesAfterCommit(count: number, entity?: string): void;
  close(): Promise<void>;
}

/** QuickBooks' documented per-realm limits. */
export const QBO_REQUESTS_PER_MINUTE = 500;
export const QBO_MAX_CONCURRENT = 10;

export async function startQuickBooksSandbox(options: QuickBooksSandboxOptions = {}): Promise<QuickBooksSandbox> {
  const now = options.now ?? (() => new Date());
  const scale = options.timeScale ?? 1;
  const realmId = String(9130350000000000 + Math.floor(Math.random() * 1e6));
  const company = new QuickBooksCompany(realmId, now);
  const journalEntries = new QboJournalEntries(company, now);
  const receivables = Object.assign(new QuickBooksReceivables(company, now), { verifierToken: randomBytes(18).toString('hex') });
  const credentials = { clientId: 'QBO-SANDBOX-CLIENT', clientSecret: 'qbo-sandbox-secret', refreshToken: `AB11${randomBytes(10).toString('hex')}`, realmId };
  const liveRefresh = new Set([credentials.refreshToken]);
  const accessTokens = new Map<string, number>();
  const throttle = new Throttle(options.limits === false ? {} : { limit: QBO_REQUESTS_PER_MINUTE, windowSeconds: 60 * scale }, () => now().getTime());
  const replays = new Map<string, { status: number; body: unknown }>();
  const stats: QuickBooksSandboxStats = { calls: 0, throttled: 0, writes: 0, replayed: 0, dropped: 0, maxInFlight: 0 };
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  const release = (req: FastifyRequest) => {
    if (counted.delete(req)) inFlight--;
  };
  let everyNth = 0;
  let dropNext = 0;
  let dropEntity: string | undefined;

  const app: FastifyInstance = fastify({ logger: false });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));

  app.post('/oauth2/v1/tokens/bearer', async (req, reply) => {
    const grant = takeRefreshGrant(req, credentials, liveRefresh);
    if ('error' in grant) return reply.code(grant.error === 'invalid_client' ? 401 : 400).send({ error: grant.error });
    // Intuit may answer any refresh with a new refresh token; the sandbox always does.
    const refresh = `AB11${randomBytes(10).toString('hex')}`;
    liveRefresh.add(refresh);
    return { token_type: 'bearer', access_token: mintAccessToken(), expires_in: 3600, refresh_token: refresh, x_refresh_token_expires_in: 8_726_400 };
  });

  function mintAccessToken(): string {
    const access = `eyJ${randomBytes(12).toString('hex')}`;
    accessTokens.set(access, now().getTime() + 3600_000);
    return access;
  }

  const faultBody = (f: QboFault) => ({ Fault: { Error: f.errors.map((e) => ({ ...e, element: e.element ?? '' })), type: f.type }, time: now().toISOString() });

  app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        stats.calls++;
        const realm = (req.params as { realmId?: string }).realmId;
        const tooMany = everyNth > 0 && stats.calls % everyNth === 0;
        const wait = tooMany ? 1 : throttle.admit(realm);
        if (wait > 0 || (options.limits !== false && inFlight >= QBO_MAX_CONCURRENT)) {
          stats.throttled++;
          // QuickBooks says "wait 60 s" and documents no Retry-After; the sandbox sends one (whole seconds) so a client that honours it is tested.
          return reply
            .code(429)
            .header('retry-after', String(Math.max(wait, 1)))
            .send(faultBody(new QboFault([{ Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429', Detail: 'The request limit for this resource has been reached for the current rate limit window.', code: '003001' }], 'ThrottlingFault')));
        }
        const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        const expires = token ? accessTokens.get(token) : undefined;
        if (expires === undefined || expires <= now().getTime()) {
          return reply.code(401).send(faultBody(new QboFault([{ Message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', Detail: 'Token expired or invalid', code: '3200' }], 'AuthenticationFault')));
        }
        if (realm !== realmId) return reply.code(403).send(faultBody(new QboFault([{ Message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', Detail: 'Not authorized for this company', code: '003100' }], 'AuthorizationFault')));
        inFlight++;
        counted.add(req);
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
        return undefined;
      });
      api.addHook('onResponse', async (req) => release(req));

      const answer = (run: () => QboObject) => {
        try {
          return { status: 200, body: { ...run(), time: now().toISOString() } };
        } catch (err) {
          if (!(err instanceof QboFault)) throw err;
          return { status: 400, body: faultBody(err) };
        }
      };

      api.get('/query', async (req, reply) => {
        const { status, body } = answer(() => runQuery(company, String((req.query as Record<string, string>).query ?? '')));
        return reply.code(status).send(body);
      });
      api.get('/invoice/:id', async (req, reply) => {
        const { status, body } = answer(() => ({ Invoice: company.readInvoice((req.params as { id: string }).id) }));
        return reply.code(status).send(body);
      });

      const write = (run: (body: QboObject, req: FastifyRequest) => QboObject) => async (req: FastifyRequest, reply: FastifyReply) => {
        const requestId = (req.query as Record<string, string>).requestid;
        if (requestId !== undefined) {
          if (requestId.length > 50) return reply.code(400).send(faultBody(new QboFault([{ Message: 'Invalid requestid', Detail: 'requestid is longer than 50 characters', code: '2010', element: 'requestid' }])));
          const seen = replays.get(requestId);
          // Documented: a repeated requestid is not executed again; the first answer comes back.
          if (seen) {
            stats.replayed++;
            return reply.code(seen.status).send(seen.body);
          }
        }
        stats.writes++;
        const result = answer(() => run((req.body ?? {}) as QboObject, req));
        if (requestId !== undefined) replays.set(requestId, result);
        if (dropNext > 0 && (!dropEntity || req.routeOptions.url?.endsWith(`/${dropEntity}`))) {
          dropNext--;
          stats.dropped++;
          release(req);
          req.raw.socket.destroy();
          return reply.hijack();
        }
        return reply.code(result.status).send(result.body);
      };
      api.post('/journalentry', write((body) => ({ JournalEntry: journalEntries.create(body) })));
      api.post('/customer', write((body) => ({ Customer: body.Id === undefined ? company.createCustomer(body) : company.updateCustomer(body) })));
      api.get('/customer/:id', async (req, reply) => {
        const { status, body } = answer(() => ({ Customer: company.readCustomer((req.params as { id: string }).id) }));
        return reply.code(status).send(body);
      });
      api.post('/item', write((body) => ({ Item: company.createItem(body) })));
      api.post(
        '/invoice',
        write((body, req) => {
          const operation = (req.query as Record<string, string>).operation;
          if (operation === 'void') return { Invoice: company.voidInvoice(body) };
          if (operation !== undefined) throw new QboFault([{ Message: 'Unsupported Operation', Detail: `Operation ${operation} is not supported by the sandbox`, code: '500' }]);
          return { Invoice: company.createInvoice(body) };
        }),
      );
      registerQuickBooksReceivableRoutes(api, receivables, write, answer);
    },
    { prefix: '/v3/company/:realmId' },
  );

  // A customer edited in QuickBooks as a person would (PascalCase fields, e.g. PrimaryEmailAddr or BillAddr), so drift has something to find.
  app.post<{ Params: { id: string }; Body: QboObject | undefined }>('/_sandbox/customers/:id', async (req, reply) => {
    const current = company.customers.get(req.params.id);
    if (!current) return reply.code(404).send({ error: `no customer ${req.params.id}` });
    return company.editCustomer(current, current, req.body ?? {});
  });
  registerQuickBooksControlRoutes(app, company, receivables, { realmId, verifierToken: receivables.verifierToken, now });
  const url = await listenLocally(app, options);
  return {
    url,
    endpoint: `${url}/v3/company/`,
    tokenUrl: `${url}/oauth2/v1/tokens/bearer`,
    credentials,
    company,
    receivables,
    stats: () => ({ ...stats }),
    refuseEveryNth: (n) => {
      everyNth = n;
    },
    accessToken: mintAccessToken,
    dropResponsesAfterCommit: (count, entity) => {
      dropNext = count;
      dropEntity = entity;
    },
    close: () => app.close(),
  };
}
