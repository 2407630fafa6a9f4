import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CODEBASE } from '../catalog.ts';
import type { Json } from '../account.ts';
import { matches, parseConditions } from '../conditions.ts';
import { cwError, type ConnectWiseSandboxContext } from '../context.ts';

const MAX_PAGE_SIZE = 1000;
type Query = { conditions?: string; pageSize?: string; pageId?: string; page?: string; fields?: string };

/** Only the named fields, `a/b` keeping that sub-field of a reference. */
function pick(record: Json, fields: string | undefined): Json {
  if (!fields) return record;
  const out: Json = {};
  for (const f of fields.split(',')) {
    const [head, sub] = f.trim().split('/');
    if (!head || !(head in record)) continue;
    if (sub && record[head] && typeof record[head] === 'object') out[head] = { ...((out[head] as Json) ?? {}), [sub]: (record[head] as Json)[sub] };
    else out[head] = record[head];
  }
  return out;
}

/**
 * A list endpoint as documented: conditions, fields, pageSize ≤ 1,000; forward-only paging
 * (ordered by id, `pageId` = after this id, Link rel="next" until the last page) when the
 * pagination-type header asks for it, else navigable `page` numbers.
 */
function list(ctx: ConnectWiseSandboxContext, req: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply, records: Iterable<Json>) {
  const q = req.query;
  const pageSize = q.pageSize === undefined ? 25 : Number(q.pageSize);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    return reply.code(400).send(cwError('InvalidObject', 'pageSize must be between 1 and 1000', [{ code: 'InvalidField', message: 'pageSize', resource: 'query', field: 'pageSize' }]));
  }
  let conditions;
  try {
    conditions = q.conditions ? parseConditions(q.conditions) : [];
  } catch (error) {
    return reply.code(400).send(cwError('InvalidObject', (error as Error).message));
  }
  const all = [...records].filter((r) => matches(r, conditions)).sort((a, b) => Number(a.id) - Number(b.id));
  const url = new URL(req.url, `${req.protocol}://${req.headers.host}`);
  let page: Json[];
  let next: URL | undefined;
  let pageKey: string;
  if (String(req.headers['pagination-type'] ?? '').toLowerCase() === 'forward-only') {
    const after = q.pageId === undefined ? Number.NEGATIVE_INFINITY : Number(q.pageId);
    const rest = all.filter((r) => Number(r.id) > after);
    page = rest.slice(0, pageSize);
    if (rest.length > pageSize) {
      next = new URL(url);
      next.searchParams.set('pageId', String(page.at(-1)!.id));
    }
    pageKey = `${url.pathname}?${q.conditions ?? ''}#after=${q.pageId ?? ''}`;
  } else {
    const n = Math.max(1, Number(q.page ?? 1));
    page = all.slice((n - 1) * pageSize, n * pageSize);
    if (all.length > n * pageSize) {
      next = new URL(url);
      next.searchParams.set('page', String(n + 1));
    }
    pageKey = `${url.pathname}?${q.conditions ?? ''}#page=${n}`;
  }
  ctx.stats.pages[pageKey] = (ctx.stats.pages[pageKey] ?? 0) + 1;
  if (next) reply.header('link', `<${next.toString()}>; rel="next"`);
  return page.map((r) => pick(r, q.fields));
}

/** Auth (API-member basic auth and the clientId header) and the rate limit, in front of every API call. */
function guard(ctx: ConnectWiseSandboxContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    ctx.stats.calls++;
    const wait = ctx.throttle.admit();
    if (wait > 0) {
      ctx.stats.throttled++;
      return reply.code(429).header('retry-after', String(wait)).send({ error: 'ConnectWiseAPI', message: `Too many requests. Please try again in ${wait} seconds.` });
    }
    const { companyId, publicKey, privateKey, clientId } = ctx.credentials;
    const expected = `Basic ${Buffer.from(`${companyId}+${publicKey}:${privateKey}`).toString('base64')}`;
    if (req.headers.authorization !== expected || req.headers.clientid !== clientId) {
      ctx.stats.unauthorized++;
      return reply.code(401).send(cwError('Unauthorized', req.headers.clientid ? 'Invalid credentials' : 'clientId header is required'));
    }
    ctx.stats.served++;
    return undefined;
  };
}

export function registerApiRoutes(app: FastifyInstance, ctx: ConnectWiseSandboxContext): void {
  app.get<{ Params: { companyId: string } }>('/login/companyinfo/:companyId', async (req, reply) => {
    if (req.params.companyId.toLowerCase() !== ctx.credentials.companyId.toLowerCase()) return reply.code(404).send('');
    return { CompanyName: 'Sandbox MSP', Codebase: CODEBASE, VersionCode: 'v2025.1', VersionNumber: 'v2025.1.12345', CompanyID: ctx.credentials.companyId, IsCloud: true };
  });

  const base = `/${CODEBASE}apis/3.0`;
  app.register(
    async (api) => {
      api.addHook('onRequest', guard(ctx));
      api.get('/system/info', async () => ({ version: 'v2025.1.12345', isCloud: true, serverTimeZone: 'UTC' }));
      api.get<{ Querystring: Query }>('/time/entries', async (req, reply) => list(ctx, req, reply, ctx.account.entries.values()));
      api.get<{ Params: { id: string } }>('/time/entries/:id', async (req, reply) => {
        const entry = ctx.account.entries.get(Number(req.params.id));
        return entry ?? reply.code(404).send(cwError('NotFound', `TimeEntry with id ${req.params.id} not found`));
      });
      api.get<{ Params: { id: string } }>('/time/workRoles/:id', async (req, reply) => ctx.account.workRole(Number(req.params.id)) ?? reply.code(404).send(cwError('NotFound', 'not found')));
      api.get<{ Querystring: Query }>('/finance/agreements', async (req, reply) => list(ctx, req, reply, [...ctx.account.agreements.values()].map((a) => a.agreement)));
      api.get<{ Params: { id: string } }>('/finance/agreements/:id', async (req, reply) => ctx.account.agreements.get(Number(req.params.id))?.agreement ?? reply.code(404).send(cwError('NotFound', `Agreement with id ${req.params.id} not found`)));
      api.get<{ Params: { id: string }; Querystring: Query }>('/finance/agreements/:id/additions', async (req, reply) => {
        const agreement = ctx.account.agreements.get(Number(req.params.id));
        if (!agreement) return reply.code(404).send(cwError('NotFound', `Agreement ${req.params.id} not found`));
        return list(ctx, req, reply, agreement.additions.values());
      });
      api.get<{ Params: { id: string; additionId: string } }>('/finance/agreements/:id/additions/:additionId', async (req, reply) => {
        const addition = ctx.account.agreements.get(Number(req.params.id))?.additions.get(Number(req.params.additionId));
        return addition ?? reply.code(404).send(cwError('NotFound', 'addition not found'));
      });
      api.patch<{ Params: { id: string; additionId: string }; Body: { op: string; path: string; value?: unknown }[] }>('/finance/agreements/:id/additions/:additionId', async (req, reply) => {
        const ops = Array.isArray(req.body) ? req.body : [];
        const changes: Json = {};
        for (const op of ops) {
          if (op.op !== 'replace' || op.path.includes('/')) return reply.code(400).send(cwError('InvalidObject', `unsupported patch operation ${op.op} ${op.path}`));
          changes[op.path] = op.value;
        }
        const addition = ctx.account.patchAddition(Number(req.params.id), Number(req.params.additionId), changes);
        if (!addition) return reply.code(404).send(cwError('NotFound', 'addition not found'));
        ctx.stats.writes++;
        return addition;
      });
      api.post<{ Params: { id: string }; Body: Json }>('/finance/agreements/:id/additions', async (req, reply) => {
        const body = req.body ?? {};
        if (!body.product || body.quantity === undefined || !body.billCustomer) {
          return reply.code(400).send(cwError('InvalidObject', 'product, quantity and billCustomer are required'));
        }
        const addition = ctx.account.addAddition(Number(req.params.id), body);
        if (!addition) return reply.code(404).send(cwError('NotFound', 'agreement not found'));
        ctx.stats.writes++;
        return reply.code(201).send(addition);
      });
    },
    { prefix: base },
  );
}
