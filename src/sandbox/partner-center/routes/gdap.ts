/**
 * Microsoft Graph GDAP reads: `GET /v1.0/tenantRelationships/delegatedAdminRelationships`
 * (paged with `$top` ≤ 300 and `@odata.nextLink`) and a relationship's `accessAssignments`,
 * in the shapes Microsoft's reference shows.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isoInstant } from '../calendar.ts';
import type { SandboxContext } from '../context.ts';
import { graphError } from '../errors.ts';
import type { GdapAssignment, GdapRelationship } from '../gdap.ts';
import { AUDIENCES } from '../tokens.ts';
import { apiGuard } from './guard.ts';

const ROOT = '/v1.0/tenantRelationships/delegatedAdminRelationships';
const MAX_TOP = 300;
const DEFAULT_TOP = 100;

export function registerGdapRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.register(async (api) => {
    api.addHook('onRequest', apiGuard(ctx, AUDIENCES.graph, 'graph'));
    api.get(ROOT, async (req, reply) => {
      const query = req.query as Record<string, string | undefined>;
      const top = query.$top === undefined ? DEFAULT_TOP : Number(query.$top);
      if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) return fail(ctx, reply, 400, 'BadRequest', `$top must be an integer from 1 to ${MAX_TOP}.`);
      const skip = query.$skipToken === undefined ? 0 : Number(Buffer.from(query.$skipToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(skip) || skip < 0) return fail(ctx, reply, 400, 'BadRequest', 'The $skipToken is not valid.');
      const all = ctx.gdap.list(ctx.wallClock(), ctx.revoked);
      const page = all.slice(skip, skip + top).map(relationshipResource);
      const next = skip + top < all.length ? `${origin(req)}${ROOT}?$top=${top}&$skipToken=${Buffer.from(String(skip + top)).toString('base64url')}` : undefined;
      return json(reply, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#tenantRelationships/delegatedAdminRelationships', value: page, ...(next && { '@odata.nextLink': next }) });
    });
    api.get<{ Params: { id: string } }>(`${ROOT}/:id/accessAssignments`, async (req, reply) => {
      const relationship = ctx.gdap.list(ctx.wallClock(), ctx.revoked).find((r) => r.id === req.params.id);
      if (!relationship) return fail(ctx, reply, 404, 'itemNotFound', `The delegated admin relationship ${req.params.id} was not found.`);
      return json(reply, { '@odata.context': 'https://graph.microsoft.com/v1.0/tenantRelationships/$metadata#accessAssignments', value: relationship.assignments.map(assignmentResource) });
    });
  });
}

function relationshipResource(r: GdapRelationship): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.delegatedAdminRelationship',
    '@odata.etag': `W/"${Buffer.from(`${r.id}:${r.modifiedMs}`).toString('base64')}"`,
    id: r.id,
    displayName: r.displayName,
    duration: r.duration,
    customer: { tenantId: r.customerTenantId, displayName: r.customerName },
    accessDetails: { unifiedRoles: r.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
    status: r.status,
    autoExtendDuration: r.autoExtendDuration,
    createdDateTime: isoInstant(r.createdMs),
    lastModifiedDateTime: isoInstant(r.modifiedMs),
    activatedDateTime: r.activatedMs === null ? null : isoInstant(r.activatedMs),
    endDateTime: r.endMs === null ? null : isoInstant(r.endMs),
  };
}

function assignmentResource(a: GdapAssignment): Record<string, unknown> {
  return {
    '@odata.type': '#microsoft.graph.delegatedAdminAccessAssignment',
    '@odata.etag': `W/"${Buffer.from(`${a.id}:${a.modifiedMs}`).toString('base64')}"`,
    id: a.id,
    status: a.status,
    createdDateTime: isoInstant(a.createdMs),
    lastModifiedDateTime: isoInstant(a.modifiedMs),
    accessContainer: { accessContainerId: a.securityGroupId, accessContainerType: 'securityGroup' },
    accessDetails: { unifiedRoles: a.roles.map((roleDefinitionId) => ({ roleDefinitionId })) },
  };
}

function origin(req: FastifyRequest): string {
  return `http://${req.headers.host ?? '127.0.0.1'}`;
}

function json(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

function fail(ctx: SandboxContext, reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(graphError(code, message, ctx.wallClock()));
}
