import type { FastifyInstance } from 'fastify';
import type { ObjectType } from '../account.ts';
import { hubspotError, type HubSpotSandboxContext } from '../context.ts';
import { crmGuard } from './guard.ts';

const OBJECT_TYPES = new Set<ObjectType>(['deals', 'line_items', 'companies']);
const BATCH_READ_MAX = 100;

// The SDK repeats the parameter (properties=a&properties=b); a hand-written call may join them with commas.
const list = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).flatMap((v) => (typeof v === 'string' && v !== '' ? v.split(',').map((s) => s.trim()) : []));

/** CRM objects (v3: get, batch read, update) and associations (v4: list), as @hubspot/api-client calls them. */
export function registerCrmRoutes(app: FastifyInstance, ctx: HubSpotSandboxContext): void {
  const guard = crmGuard(ctx);
  const notFound = (type: string, id: string) => hubspotError(`Object not found.  objectId are usually numeric.`, 'OBJECT_NOT_FOUND', { context: { id: [id], type: [type] } });

  app.get<{ Params: { type: ObjectType; id: string }; Querystring: { properties?: string | string[] } }>('/crm/v3/objects/:type/:id', { preHandler: guard }, async (req, reply) => {
    if (!OBJECT_TYPES.has(req.params.type)) return reply.code(404).send(hubspotError(`Unknown object type ${req.params.type}`, 'OBJECT_NOT_FOUND'));
    const object = ctx.account.read(req.params.type, req.params.id, list(req.query.properties));
    return object ? object : reply.code(404).send(notFound(req.params.type, req.params.id));
  });

  app.patch<{ Params: { type: ObjectType; id: string }; Body: { properties?: Record<string, string> } }>('/crm/v3/objects/:type/:id', { preHandler: guard }, async (req, reply) => {
    if (!OBJECT_TYPES.has(req.params.type)) return reply.code(404).send(hubspotError(`Unknown object type ${req.params.type}`, 'OBJECT_NOT_FOUND'));
    const updated = ctx.account.update(req.params.type, req.params.id, req.body?.properties ?? {});
    if (updated) ctx.stats.writes++;
    return updated ? updated : reply.code(404).send(notFound(req.params.type, req.params.id));
  });

  app.post<{ Params: { type: ObjectType }; Body: { properties?: string[]; inputs?: { id: string }[] } }>(
    '/crm/v3/objects/:type/batch/read',
    { preHandler: guard },
    async (req, reply) => {
      const inputs = req.body?.inputs ?? [];
      if (!OBJECT_TYPES.has(req.params.type)) return reply.code(404).send(hubspotError(`Unknown object type ${req.params.type}`, 'OBJECT_NOT_FOUND'));
      if (inputs.length > BATCH_READ_MAX) return reply.code(400).send(hubspotError(`Batch input must contain at most ${BATCH_READ_MAX} inputs`, 'VALIDATION_ERROR'));
      const startedAt = ctx.now().toISOString();
      const found = inputs.map((input) => ctx.account.read(req.params.type, String(input.id), req.body?.properties ?? []));
      const results = found.filter((o) => o !== undefined);
      const missing = inputs.filter((_, i) => found[i] === undefined).map((input) => String(input.id));
      const body = { status: 'COMPLETE', results, startedAt, completedAt: ctx.now().toISOString() };
      // Partial failure answers 207 with the ids it could not read.
      if (missing.length > 0) {
        return reply.code(207).send({ ...body, numErrors: 1, errors: [{ status: 'error', category: 'OBJECT_NOT_FOUND', message: 'Could not get some objects', context: { ids: missing } }] });
      }
      return body;
    },
  );

  app.get<{ Params: { from: string; id: string; to: string }; Querystring: { limit?: string } }>(
    '/crm/v4/objects/:from/:id/associations/:to',
    { preHandler: guard },
    async (req, reply) => {
      const results = ctx.account.associations(req.params.from, req.params.id, req.params.to);
      return results ? { results } : reply.code(404).send(notFound(req.params.from, req.params.id));
    },
  );
}
