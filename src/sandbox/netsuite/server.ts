/**
 * Starts the NetSuite sandbox: SuiteTalk REST's record API under
 * `/services/rest/record/v1`, every request's token-based authentication signature
 * checked for real (401 `INVALID_LOGIN` otherwise, nonces single-use), create (204 +
 * Location), upsert by external id (`PUT /{type}/eid:{externalId}`), read by id or
 * external id, `q` filters on lists, errors in NetSuite's `o:errorDetails` shape, the
 * account's concurrency limit (429 beyond it), and a switch that commits a write and
 * then drops its answer.
 *
 * @example
 *   const ns = await startNetSuiteSandbox({ concurrencyLimit: 5 });
 *   ns.dropResponsesAfterCommit(1, 'invoice'); // the next invoice write commits, then its answer is lost
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { listenLocally } from '../oauth-refresh.ts';
import { NetSuiteAccount, NsError, notFound, type NsRecord } from './account.ts';
import { checkSignature } from './signature.ts';

export interface NetSuiteSandboxOptions {
  now?: () => Date;
  host?: string;
  port?: number;
  /** The account's concurrency limit (Standard tier: 5); requests beyond it get 429. */
  concurrencyLimit?: number;
  /** Time each request takes, so concurrent requests overlap as they do against the real service. */
  latencyMs?: number;
}

export interface NetSuiteSandboxStats {
  calls: number;
  throttled: number;
  refusedLogins: number;
  writes: number;
  dropped: number;
  maxInFlight: number;
}

export interface NetSuiteSandbox {
  url: string;
  credentials: { accountId: string; consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string };
  account: NetSuiteAccount;
  stats(): NetSuiteSandboxStats;
  /** Every `n`th call is refused with 429 and `Retry-After: 1` (0 = off), to test a storm. */
  refuseEveryNth(n: number): void;
  /** The next `count` writes (of `recordType` only, when given) are committed and their connection closed before the answer. */
  dropResponsesAfterCommit(count: number, recordType?: string): void;
  close(): Promise<void>;
}

export const NS_STANDARD_CONCURRENCY = 5;
const NONCE_WINDOW_SECONDS = 300;

const problem = (err: NsError) => ({
  type: `https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.${err.status === 400 ? 1 : err.status === 401 ? 2 : err.status === 404 ? 5 : 30}`,
  title: { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 429: 'Too Many Requests' }[err.status] ?? 'Error',
  status: err.status,
  'o:errorDetails': err.details,
});

export async function startNetSuiteSandbox(options: NetSuiteSandboxOptions = {}): Promise<NetSuiteSandbox> {
  const now = options.now ?? (() => new Date());
  const limit = options.concurrencyLimit ?? NS_STANDARD_CONCURRENCY;
  const accountId = `${7000000 + Math.floor(Math.random() * 999_999)}_SB1`;
  const credentials = {
    accountId,
    consumerKey: randomBytes(32).toString('hex'),
    consumerSecret: randomBytes(32).toString('hex'),
    tokenId: randomBytes(32).toString('hex'),
    tokenSecret: randomBytes(32).toString('hex'),
  };
  const account = new NetSuiteAccount(accountId, now);
  const stats: NetSuiteSandboxStats = { calls: 0, throttled: 0, refusedLogins: 0, writes: 0, dropped: 0, maxInFlight: 0 };
  const nonces = new Map<string, number>();
  let inFlight = 0;
  const counted = new WeakSet<FastifyRequest>();
  const release = (req: FastifyRequest) => {
    if (counted.delete(req)) inFlight--;
  };
  let everyNth = 0;
  let dropNext = 0;
  let dropType: string | undefined;

  const app: FastifyInstance = fastify({ logger: false });
  const send = (reply: FastifyReply, err: NsError) => reply.code(err.status).type('application/vnd.oracle.resource+json; type=error').send(problem(err));

  app.register(
    async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        stats.calls++;
        const url = new URL(req.url, `http://${req.headers.host}`);
        const check = checkSignature(req.method, url, req.headers.authorization, { realm: accountId, ...credentials });
        const nowSeconds = Math.floor(now().getTime() / 1000);
        for (const [nonce, at] of nonces) if (at < nowSeconds - NONCE_WINDOW_SECONDS) nonces.delete(nonce);
        const why = !check.ok ? check.why : Math.abs(check.timestamp - nowSeconds) > NONCE_WINDOW_SECONDS ? 'timestamp too far from now' : nonces.has(check.nonce) ? 'nonce already used' : undefined;
        if (why !== undefined) {
          stats.refusedLogins++;
          return send(reply.header('x-sandbox-reason', why), new NsError(401, [{ detail: 'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.', 'o:errorCode': 'INVALID_LOGIN' }]));
        }
        if (check.ok) nonces.set(check.nonce, check.timestamp);
        if (everyNth > 0 && stats.calls % everyNth === 0) {
          stats.throttled++;
          return send(reply.header('retry-after', '1'), new NsError(429, [{ detail: 'Request limit exceeded.', 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }]));
        }
        if (inFlight >= limit) {
          stats.throttled++;
          // NetSuite documents no Retry-After on its concurrency 429: a client backs off on its own.
          return send(reply, new NsError(429, [{ detail: `Concurrent request limit exceeded. Request blocked (limit ${limit}).`, 'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED' }]));
        }
        inFlight++;
        counted.add(req);
        stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
        if (options.latencyMs) await delay(options.latencyMs);
        return undefined;
      });
      api.addHook('onResponse', async (req) => release(req));
      api.setErrorHandler((err, _req, reply) => {
        if (err instanceof NsError) return send(reply, err);
        return send(reply, new NsError(400, [{ detail: `Invalid request: ${(err as Error).message}`, 'o:errorCode': 'INVALID_CONTENT' }]));
      });

      const base = (req: FastifyRequest) => `http://${req.headers.host}/services/rest/record/v1`;
      const refOf = (raw: string) => (raw.startsWith('eid:') ? { externalId: decodeURIComponent(raw.slice(4)) } : { id: decodeURIComponent(raw) });
      /**
       * GET answers references with refName and the record with its self link; sublists
       * come as links to themselves unless `expandSubResources=true`, as NetSuite does.
       */
      const present = (req: FastifyRequest, type: string, record: NsRecord) => {
        const expand = (req.query as Record<string, string>).expandSubResources === 'true';
        const refTypes: Record<string, string> = { entity: 'customer', currency: 'currency', subsidiary: 'subsidiary', department: 'department', class: 'classification', location: 'location', item: 'nonInventorySaleItem', account: 'account', taxCode: 'salesTaxItem', incomeAccount: 'account' };
        const named = (obj: Record<string, unknown>): Record<string, unknown> =>
          Object.fromEntries(
            Object.entries(obj).map(([k, v]) => {
              if (refTypes[k] && v && typeof v === 'object' && 'id' in v) return [k, { ...v, refName: account.refName(refTypes[k]!, String((v as { id: unknown }).id)) }];
              if (v && typeof v === 'object' && Array.isArray((v as { items?: unknown }).items)) {
                if (!expand) return [k, { links: [{ rel: 'self', href: `${base(req)}/${type}/${record.id}/${k}` }] }];
                return [k, { items: (v as { items: Record<string, unknown>[] }).items.map(named) }];
              }
              return [k, v];
            }),
          );
        return { links: [{ rel: 'self', href: `${base(req)}/${type}/${record.id}` }], ...named(record) };
      };

      api.get('/:type', async (req) => {
        const { type } = req.params as { type: string };
        const ids = account.list(type, (req.query as Record<string, string>).q);
        const items = ids.map((id) => ({ links: [{ rel: 'self', href: `${base(req)}/${type}/${id}` }], id }));
        return { links: [{ rel: 'self', href: `${base(req)}/${type}` }], count: items.length, hasMore: false, items, offset: 0, totalResults: items.length };
      });
      api.get('/:type/:ref', async (req, reply) => {
        const { type, ref } = req.params as { type: string; ref: string };
        const record = account.get(type, refOf(ref));
        if (!record) return send(reply, notFound());
        return present(req, type, record);
      });

      const write = (run: (req: FastifyRequest) => string) => async (req: FastifyRequest, reply: FastifyReply) => {
        const { type } = req.params as { type: string };
        stats.writes++;
        const id = run(req);
        if (dropNext > 0 && (!dropType || dropType === type)) {
          dropNext--;
          stats.dropped++;
          release(req);
          req.raw.socket.destroy();
          return reply.hijack();
        }
        return reply.code(204).header('location', `${base(req)}/${type}/${id}`).send();
      };
      api.post('/:type', write((req) => account.write((req.params as { type: string }).type, (req.body ?? {}) as Record<string, unknown>)));
      api.put(
        '/:type/:ref',
        write((req) => {
          const { type, ref } = req.params as { type: string; ref: string };
          const target = refOf(ref);
          if (!('externalId' in target)) throw new NsError(400, [{ detail: 'Upsert needs an external ID in the path: eid:<externalId>.', 'o:errorCode': 'INVALID_ID' }]);
          const replace = (req.query as Record<string, string>).replace;
          return account.write(type, (req.body ?? {}) as Record<string, unknown>, { externalId: target.externalId, ...(replace ? { replace: replace.split(',') } : {}) });
        }),
      );
    },
    { prefix: '/services/rest/record/v1' },
  );

  const url = await listenLocally(app, options);
  return {
    url,
    credentials,
    account,
    stats: () => ({ ...stats }),
    refuseEveryNth: (n) => {
      everyNth = n;
    },
    dropResponsesAfterCommit: (count, recordType) => {
      dropNext = count;
      dropType = recordType;
    },
    close: () => app.close(),
  };
}
