import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sfError, type SalesforceSandboxContext } from '../context.ts';
import { parseSoql, runQuery } from '../soql.ts';

const VERSIONS = ['64.0', '65.0', '66.0', '67.0', '68.0'];

/**
 * In front of every REST call but the versions list: the org's API allocation (403
 * REQUEST_LIMIT_EXCEEDED when used up, or on every Nth call as the concurrent long-call
 * cap), then the Bearer session (401 INVALID_SESSION_ID when unknown or expired). Every
 * answer carries Sforce-Limit-Info: api-usage=<used>/<limit>.
 */
function guard(ctx: SalesforceSandboxContext) {
  return async function check(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    ctx.stats.calls++;
    const { limits } = ctx;
    if (limits.delayMs) await sleep(limits.delayMs);
    const usage = () => reply.header('sforce-limit-info', `api-usage=${limits.used}/${limits.dailyLimit}`);
    if (limits.used >= limits.dailyLimit) {
      ctx.stats.limitRefusals++;
      return usage().code(403).send(sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    }
    if (limits.everyNth && ctx.stats.calls % limits.everyNth === 0) {
      ctx.stats.limitRefusals++;
      return usage().code(403).send(sfError('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.'));
    }
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const expires = token ? ctx.sessions.get(token) : undefined;
    if (expires === undefined || expires <= ctx.now().getTime()) {
      ctx.stats.unauthorized++;
      return reply.code(401).send(sfError('INVALID_SESSION_ID', 'Session expired or invalid'));
    }
    limits.used++;
    ctx.stats.served++;
    usage();
    return undefined;
  };
}

/** GET /services/data/ (free of quota), SOQL query with its next pages, and limits. */
export function registerRestRoutes(app: FastifyInstance, ctx: SalesforceSandboxContext): void {
  const check = guard(ctx);
  const pages = new Map<string, { rows: Record<string, unknown>[]; version: string }>();
  let locators = 0;

  app.get('/services/data/', async () => VERSIONS.map((version) => ({ label: `v${version}`, url: `/services/data/v${version}`, version })));

  const page = (version: string, rows: Record<string, unknown>[], offset: number, total: number) => {
    const batch = rows.slice(offset, offset + ctx.batchSize);
    const done = offset + batch.length >= rows.length;
    let nextRecordsUrl: string | undefined;
    if (!done) {
      const locator = `01g5g${String(++locators).padStart(13, '0')}`;
      pages.set(locator, { rows, version });
      nextRecordsUrl = `/services/data/v${version}/query/${locator}-${offset + batch.length}`;
    }
    return { totalSize: total, done, ...(nextRecordsUrl ? { nextRecordsUrl } : {}), records: batch };
  };

  app.get<{ Params: { version: string }; Querystring: { q?: string } }>('/services/data/v:version/query', { preHandler: check }, async (req, reply) => {
    const parsed = parseSoql(req.query.q ?? '');
    if ('errorCode' in parsed) return reply.code(400).send(sfError(parsed.errorCode, parsed.message));
    const version = req.params.version;
    const rows = runQuery(parsed, ctx.org.all(parsed.object)).map((record) => ({
      attributes: { type: parsed.object, url: `/services/data/v${version}/sobjects/${parsed.object}/${record.Id ?? ''}` },
      ...record,
    }));
    return page(version, rows, 0, rows.length);
  });

  app.get<{ Params: { version: string; cursor: string } }>('/services/data/v:version/query/:cursor', { preHandler: check }, async (req, reply) => {
    const [locator, offset] = req.params.cursor.split('-');
    const stored = pages.get(locator ?? '');
    if (!stored || !Number.isInteger(Number(offset))) return reply.code(400).send(sfError('INVALID_QUERY_LOCATOR', 'invalid query locator'));
    return page(stored.version, stored.rows, Number(offset), stored.rows.length);
  });

  app.get('/services/data/v:version/limits', { preHandler: check }, async () => ({
    DailyApiRequests: { Max: ctx.limits.dailyLimit, Remaining: Math.max(0, ctx.limits.dailyLimit - ctx.limits.used) },
  }));
}
