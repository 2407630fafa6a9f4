import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Json } from '../account.ts';
import { API_USER, BILLING_CODES, COMPANIES, PROJECTS, RESOURCES, ROLES, SERVICES, STRAY, TASKS, TICKETS, TM_CONTRACT, ZONE_NAME } from '../catalog.ts';
import { atError, type AutotaskSandboxContext } from '../context.ts';
import { matches, validate } from '../filter.ts';

export const API_PREFIX = '/ATServicesRest/V1.0';
const MAX_RECORDS = 500;
const HOUR = 3_600_000;

const TICKET_UDFS = ['Work Category'];

function ticketUdfsOf(values: Record<string, string | null> | undefined): Json[] {
  const names = [...new Set([...TICKET_UDFS, ...Object.keys(values ?? {})])];
  return names.map((name) => ({ name, value: values?.[name] ?? null }));
}

/** The queryable entities by lower-cased endpoint name, each as Autotask spells it. */
function entities(ctx: AutotaskSandboxContext): Map<string, { name: string; rows: () => Json[] }> {
  const fixed = (name: string, rows: readonly object[]) => [name.toLowerCase(), { name, rows: () => rows.map((r) => ({ ...r }) as Json) }] as const;
  return new Map([
    fixed('Companies', [...COMPANIES, STRAY.company].map((c) => ({ ...c, companyType: 1, isActive: true }))),
    fixed('Resources', RESOURCES.map((r) => ({ ...r, isActive: true }))),
    fixed('Roles', ROLES.map((r) => ({ ...r, isActive: true, roleType: 1 }))),
    fixed('BillingCodes', BILLING_CODES.map((b) => ({ ...b, billingCodeType: 0, useType: 1, isActive: true }))),
    fixed('Projects', [...PROJECTS, STRAY.project].map((p) => ({ ...p, status: 1, projectType: 5 }))),
    fixed('Tasks', [...TASKS, STRAY.task].map((t) => ({ ...t, status: 1 }))),
    [
      'tickets',
      {
        name: 'Tickets',
        // Autotask lists every UDF defined for tickets, null where the ticket has no value.
        rows: () => [...TICKETS, STRAY.ticket].map((t) => ({ ...t, status: 1, userDefinedFields: ticketUdfsOf(ctx.account.ticketUdfs.get(t.id)) })),
      },
    ],
    fixed('Services', SERVICES.map((s) => ({ ...s, invoiceDescription: s.name, unitCost: 0, periodType: 'm', isActive: true }))),
    fixed('ContractRates', TM_CONTRACT.rates.map((r) => ({ ...r, contractID: TM_CONTRACT.id }))),
    ['timeentries', { name: 'TimeEntries', rows: () => [...ctx.account.entries.values()] }],
    ['contracts', { name: 'Contracts', rows: () => [...ctx.account.contracts.values()] }],
    ['contractservices', { name: 'ContractServices', rows: () => [...ctx.account.contractServices.values()] }],
    ['contractserviceunits', { name: 'ContractServiceUnits', rows: () => ctx.account.units }],
  ]);
}

function pick(record: Json, fields: unknown): Json {
  if (!Array.isArray(fields) || fields.length === 0) return { ...record };
  const wanted = new Set(fields.map((f) => String(f).toLowerCase()));
  return Object.fromEntries(Object.entries(record).filter(([k]) => wanted.has(k.toLowerCase())));
}

/** The query body, whatever the casing of its keys (the Swagger writes Filter, the docs filter). */
function queryOf(body: Json): { filter: unknown; maxRecords: unknown; includeFields: unknown } {
  const get = (name: string) => body[Object.keys(body).find((k) => k.toLowerCase() === name) ?? ''];
  return { filter: get('filter'), maxRecords: get('maxrecords') ?? MAX_RECORDS, includeFields: get('includefields') };
}

type Paging = { pageSize: number; previousIds: number[]; nextIds: number[] };

/**
 * One page of a query, ordered by id, at most MaxRecords (1–500). When more remain,
 * `pageDetails.nextPageUrl` names the next page: `.../query/next?paging=<ids>&search=<query>`.
 */
function query(ctx: AutotaskSandboxContext, req: FastifyRequest, reply: FastifyReply, entityName: string, body: Json, paging?: Paging) {
  const entity = entities(ctx).get(entityName.toLowerCase());
  if (!entity) return reply.code(404).send(atError(`Entity ${entityName} cannot be queried`));
  const q = queryOf(body);
  const maxRecords = Number(q.maxRecords);
  if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > MAX_RECORDS) return reply.code(500).send(atError(`MaxRecords must be between 1 and ${MAX_RECORDS}`));
  if (q.filter === undefined || (Array.isArray(q.filter) && q.filter.length === 0)) return reply.code(500).send(atError('A query requires at least one filter'));
  try {
    validate(q.filter);
  } catch (error) {
    return reply.code(500).send(atError((error as Error).message));
  }
  const all = entity.rows().filter((r) => matches(r, q.filter)).sort((a, b) => Number(a.id) - Number(b.id));
  const from = paging?.nextIds[0] ?? Number.NEGATIVE_INFINITY;
  const rest = all.filter((r) => Number(r.id) >= from);
  const page = rest.slice(0, maxRecords);
  if (rest.length > maxRecords && Array.isArray(q.includeFields) && !q.includeFields.some((f) => String(f).toLowerCase() === 'id')) {
    return reply.code(500).send(atError('IncludeFields must contain id when the result spans more than one page'));
  }
  const key = `${entity.name}|${JSON.stringify(q.filter)}|from=${paging?.nextIds[0] ?? 'start'}`;
  ctx.stats.pages[key] = (ctx.stats.pages[key] ?? 0) + 1;
  const origin = `${req.protocol}://${req.headers.host}${API_PREFIX}/${entity.name}/query/next`;
  const search = encodeURIComponent(JSON.stringify(body));
  const link = (p: Paging) => `${origin}?paging=${encodeURIComponent(JSON.stringify(p))}&search=${search}`;
  const firstId = page[0] === undefined ? -1 : Number(page[0].id);
  const nextPageUrl = rest.length > maxRecords ? link({ pageSize: maxRecords, previousIds: [firstId], nextIds: [Number(rest[maxRecords]!.id)] }) : null;
  const prevPageUrl = paging && paging.previousIds[0] !== undefined ? link({ pageSize: maxRecords, previousIds: [], nextIds: paging.previousIds }) : null;
  return { items: page.map((r) => pick(r, q.includeFields)), pageDetails: { count: page.length, requestCount: maxRecords, prevPageUrl, nextPageUrl } };
}

function parseJsonParam<T>(text: string | undefined, name: string): T | string {
  if (!text) return `${name} is required`;
  try {
    return JSON.parse(text) as T;
  } catch {
    return `${name} is not JSON`;
  }
}

/**
 * In front of every REST call: the three auth headers, the database's rolling hourly
 * threshold, the test throttle, and the thread limit (3 requests in flight per
 * integration code and endpoint; the 4th is refused).
 */
function guard(ctx: AutotaskSandboxContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    ctx.stats.calls++;
    const h = req.headers;
    const { username, secret, integrationCode } = ctx.credentials;
    if (h.username !== username || h.secret !== secret || h.apiintegrationcode !== integrationCode) {
      ctx.stats.unauthorized++;
      return reply.code(401).send(atError('Unauthorized: check UserName, Secret and ApiIntegrationCode'));
    }
    const now = Date.now();
    while (ctx.hourWindow.length > 0 && ctx.hourWindow[0]! <= now - HOUR) ctx.hourWindow.shift();
    if (ctx.hourWindow.length >= ctx.requestsPerHour) {
      ctx.stats.throttled++;
      return reply.code(429).send(atError(`Request threshold of ${ctx.requestsPerHour} requests per hour exceeded for this database`));
    }
    const wait = ctx.throttle.admit();
    if (wait > 0) {
      ctx.stats.throttled++;
      return reply.code(429).header('retry-after', String(wait)).send(atError('Too many requests, try again later'));
    }
    const endpoint = req.url.slice(API_PREFIX.length + 1).split(/[/?]/)[0]!.toLowerCase();
    const key = `${integrationCode}|${endpoint}`;
    const inFlight = ctx.inFlight.get(key) ?? 0;
    if (inFlight >= 3) {
      ctx.stats.threadRejections++;
      return reply.code(429).send(atError('Thread Threshold Exceeded: this integration exceeded the threshold of 3 threads for this endpoint'));
    }
    ctx.inFlight.set(key, inFlight + 1);
    ctx.stats.maxInFlight = Math.max(ctx.stats.maxInFlight, inFlight + 1);
    reply.raw.once('close', () => ctx.inFlight.set(key, (ctx.inFlight.get(key) ?? 1) - 1));
    ctx.hourWindow.push(now);
    ctx.stats.served++;
    if (ctx.latencyMs > 0) await delay(ctx.latencyMs);
    return undefined;
  };
}

export function registerApiRoutes(app: FastifyInstance, ctx: AutotaskSandboxContext): void {
  // Unauthenticated and outside the thread limit, as documented.
  app.get<{ Querystring: { user?: string } }>('/atservicesrest/v1.0/zoneInformation', async (req, reply) => {
    ctx.stats.zoneLookups++;
    if (!req.query.user || req.query.user.toLowerCase() !== API_USER.toLowerCase()) return reply.code(404).send(atError(`No zone found for user ${req.query.user ?? ''}`));
    const origin = `${req.protocol}://${req.headers.host}`;
    return { zoneName: ZONE_NAME, url: `${origin}/ATServicesRest/`, webUrl: `${origin}/`, ci: 99001 };
  });

  app.register(
    async (api) => {
      api.addHook('onRequest', guard(ctx));
      api.post<{ Params: { entity: string }; Body: Json }>('/:entity/query', async (req, reply) => query(ctx, req, reply, req.params.entity, req.body ?? {}));
      api.get<{ Params: { entity: string }; Querystring: { search?: string } }>('/:entity/query', async (req, reply) => {
        const body = parseJsonParam<Json>(req.query.search, 'search');
        return typeof body === 'string' ? reply.code(500).send(atError(body)) : query(ctx, req, reply, req.params.entity, body);
      });
      // A POSTed first page is continued by POSTing the same body to nextPageUrl; a GET one by GETting it.
      const next = async (req: FastifyRequest<{ Params: { entity: string }; Querystring: { paging?: string; search?: string }; Body: Json }>, reply: FastifyReply) => {
        const paging = parseJsonParam<Paging>(req.query.paging, 'paging');
        if (typeof paging === 'string' || !Array.isArray(paging.nextIds)) return reply.code(500).send(atError(typeof paging === 'string' ? paging : 'paging.nextIds is required'));
        const body = req.method === 'POST' ? (req.body ?? {}) : parseJsonParam<Json>(req.query.search, 'search');
        return typeof body === 'string' ? reply.code(500).send(atError(body)) : query(ctx, req, reply, req.params.entity, body, paging);
      };
      api.post('/:entity/query/next', next);
      api.get('/:entity/query/next', next);
      api.get<{ Params: { entity: string; id: string } }>('/:entity/:id', async (req, reply) => {
        const entity = entities(ctx).get(req.params.entity.toLowerCase());
        if (!entity) return reply.code(404).send(atError(`Entity ${req.params.entity} cannot be read`));
        return { item: entity.rows().find((r) => String(r.id) === req.params.id) ?? null };
      });
      const adjust = async (req: FastifyRequest<{ Body: Json }>, reply: FastifyReply, contractId?: string) => {
        const result = ctx.account.adjust({ ...(req.body ?? {}), ...(contractId ? { contractID: Number(contractId) } : {}) });
        if (typeof result === 'string') return reply.code(500).send(atError(result));
        ctx.stats.writes++;
        return result;
      };
      api.post<{ Body: Json }>('/ContractServiceAdjustments', async (req, reply) => adjust(req, reply));
      api.post<{ Params: { id: string }; Body: Json }>('/Contracts/:id/ServiceAdjustments', async (req, reply) => adjust(req, reply, req.params.id));
      api.patch<{ Body: Json }>('/ContractServices', async (req, reply) => {
        const result = ctx.account.updateContractService(req.body ?? {});
        if (typeof result === 'string') return reply.code(500).send(atError(result));
        ctx.stats.writes++;
        return result;
      });
    },
    { prefix: API_PREFIX },
  );
}
