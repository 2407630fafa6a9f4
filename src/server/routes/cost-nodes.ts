import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, conflict, notFound } from '../problem.ts';

const Uuid = Type.String({ format: 'uuid' });
const Kind = Type.Union([Type.Literal('business_unit'), Type.Literal('department'), Type.Literal('project'), Type.Literal('team')]);

export const CostNode = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    parentId: Type.Union([Uuid, Type.Null()]),
    name: Type.String(),
    kind: Type.String({ description: 'business_unit, department, project, team; or unallocated for the node that catches unclaimed cost' }),
    psaProjectCode: Type.Union([Type.String(), Type.Null()]),
    glCostCentre: Type.Union([Type.String(), Type.Null()]),
    path: Type.Array(Type.String(), { description: 'Names from the root down to this node' }),
    depth: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'CostNode' },
);

const CreateNode = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    kind: Type.Optional(Kind),
    psaProjectCode: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    glCostCentre: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const UpdateNode = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    parentId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    kind: Type.Optional(Kind),
    psaProjectCode: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    glCostCentre: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

type NodeRow = Selectable<Database['cost_nodes']>;

/** The customer's nodes in tree order (parents before children, siblings by name), with their paths. */
export function orderTree(rows: NodeRow[]): Static<typeof CostNode>[] {
  const children = new Map<string | null, NodeRow[]>();
  for (const row of rows) {
    const list = children.get(row.parent_id) ?? [];
    list.push(row);
    children.set(row.parent_id, list);
  }
  const out: Static<typeof CostNode>[] = [];
  const walk = (parent: string | null, path: string[]) => {
    const list = (children.get(parent) ?? []).sort((a, b) => (a.kind === 'unallocated' ? 1 : 0) - (b.kind === 'unallocated' ? 1 : 0) || a.name.localeCompare(b.name));
    for (const row of list) {
      const nodePath = [...path, row.name];
      out.push({
        id: row.id,
        customerId: row.customer_id,
        parentId: row.parent_id,
        name: row.name,
        kind: row.kind,
        psaProjectCode: row.psa_project_code,
        glCostCentre: row.gl_cost_centre,
        path: nodePath,
        depth: nodePath.length - 1,
        createdAt: row.created_at.toISOString(),
        updatedAt: row.updated_at.toISOString(),
      });
      walk(row.id, nodePath);
    }
  };
  walk(null, []);
  return out;
}

async function loadTree(db: HubContext['db'] | Transaction<Database>, customerId: string) {
  return orderTree(await db.selectFrom('cost_nodes').selectAll().where('customer_id', '=', customerId).execute());
}

async function assertCustomer(db: HubContext['db'] | Transaction<Database>, customerId: string) {
  const found = await db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  if (!found) throw notFound('customer', customerId);
}

export function costNodeRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const writers = ['admin', 'billing_ops', 'finance'] as const;
  const Params = Type.Object({ id: Uuid });
  const NodeParams = Type.Object({ id: Uuid, nodeId: Uuid });

  r.get(
    '/v1/customers/:id/cost-nodes',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'], customerParam: 'id' } },
      schema: {
        tags: ['customers'],
        summary: "The customer's cost hierarchy in tree order",
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('CostNode')) }) },
      },
    },
    async (request) => {
      await assertCustomer(ctx.db, request.params.id);
      return { items: await loadTree(ctx.db, request.params.id) };
    },
  );

  r.post(
    '/v1/customers/:id/cost-nodes',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      schema: { tags: ['customers'], summary: 'Add a node to the cost hierarchy', params: Params, body: CreateNode, response: { 201: Type.Ref('CostNode') } },
    },
    async (request, reply) => {
      const customerId = request.params.id;
      const b = request.body;
      const node = await ctx.db.transaction().execute(async (trx) => {
        await assertCustomer(trx, customerId);
        if (b.parentId) await assertParent(trx, customerId, b.parentId, 'parentId');
        await assertNameFree(trx, customerId, b.parentId ?? null, b.name.trim(), null);
        const row = await trx
          .insertInto('cost_nodes')
          .values({
            customer_id: customerId,
            parent_id: b.parentId ?? null,
            name: b.name.trim(),
            kind: b.kind ?? 'department',
            psa_project_code: b.psaProjectCode ?? null,
            gl_cost_centre: b.glCostCentre ?? null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const created = (await loadTree(trx, customerId)).find((n) => n.id === row.id)!;
        await writeAudit(trx, { ...actorOf(request), action: 'cost_node.create', entity: 'cost_node', entityId: row.id, after: created });
        return created;
      });
      return reply.code(201).send(node);
    },
  );

  r.patch(
    '/v1/customers/:id/cost-nodes/:nodeId',
    {
      config: { auth: { roles: [...writers] } },
      schema: { tags: ['customers'], summary: 'Rename, move or recode a cost node', params: NodeParams, body: UpdateNode, response: { 200: Type.Ref('CostNode') } },
    },
    async (request) => {
      const { id: customerId, nodeId } = request.params;
      const b = request.body;
      return ctx.db.transaction().execute(async (trx) => {
        const tree = await loadTree(trx, customerId);
        const before = tree.find((n) => n.id === nodeId);
        if (!before) throw notFound('cost node', nodeId);
        if (before.kind === 'unallocated' && (b.kind !== undefined || b.parentId !== undefined)) {
          throw badRequest(b.kind !== undefined ? 'kind' : 'parentId', 'the unallocated node stays a root of kind unallocated');
        }
        if (b.parentId) {
          await assertParent(trx, customerId, b.parentId, 'parentId');
          // Moving a node under itself or its own descendant would cut it off from the tree.
          if (tree.find((n) => n.id === b.parentId)!.path.slice(0, before.depth + 1).join('\u0000') === before.path.join('\u0000')) {
            throw badRequest('parentId', 'a node cannot move under itself or one of its descendants');
          }
        }
        const parentId = b.parentId !== undefined ? b.parentId : before.parentId;
        const name = b.name !== undefined ? b.name.trim() : before.name;
        await assertNameFree(trx, customerId, parentId, name, nodeId);
        await trx
          .updateTable('cost_nodes')
          .set({
            name,
            parent_id: parentId,
            ...(b.kind !== undefined ? { kind: b.kind } : {}),
            ...(b.psaProjectCode !== undefined ? { psa_project_code: b.psaProjectCode } : {}),
            ...(b.glCostCentre !== undefined ? { gl_cost_centre: b.glCostCentre } : {}),
          })
          .where('id', '=', nodeId)
          .execute();
        const after = (await loadTree(trx, customerId)).find((n) => n.id === nodeId)!;
        await writeAudit(trx, { ...actorOf(request), action: 'cost_node.update', entity: 'cost_node', entityId: nodeId, before, after });
        return after;
      });
    },
  );

  r.delete(
    '/v1/customers/:id/cost-nodes/:nodeId',
    {
      config: { auth: { roles: [...writers] } },
      schema: { tags: ['customers'], summary: 'Remove a leaf cost node', params: NodeParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const { id: customerId, nodeId } = request.params;
      await ctx.db.transaction().execute(async (trx) => {
        const tree = await loadTree(trx, customerId);
        const before = tree.find((n) => n.id === nodeId);
        if (!before) throw notFound('cost node', nodeId);
        if (before.kind === 'unallocated') throw conflict('the unallocated node cannot be removed: unclaimed cost lands there');
        if (tree.some((n) => n.parentId === nodeId)) throw conflict('the node has children: move or remove them first');
        await trx.deleteFrom('cost_nodes').where('id', '=', nodeId).execute();
        await writeAudit(trx, { ...actorOf(request), action: 'cost_node.delete', entity: 'cost_node', entityId: nodeId, before });
      });
      return reply.code(204).send(null);
    },
  );
}

async function assertParent(trx: Transaction<Database>, customerId: string, parentId: string, field: string) {
  const parent = await trx.selectFrom('cost_nodes').select(['customer_id', 'kind']).where('id', '=', parentId).executeTakeFirst();
  if (!parent || parent.customer_id !== customerId) throw badRequest(field, `no cost node ${parentId} in this customer's tree`);
  if (parent.kind === 'unallocated') throw badRequest(field, 'the unallocated node has no children');
}

async function assertNameFree(trx: Transaction<Database>, customerId: string, parentId: string | null, name: string, self: string | null) {
  let q = trx.selectFrom('cost_nodes').select('id').where('customer_id', '=', customerId).where('name', '=', name);
  q = parentId === null ? q.where('parent_id', 'is', null) : q.where('parent_id', '=', parentId);
  const clash = await q.executeTakeFirst();
  if (clash && clash.id !== self) throw conflict(`a sibling named "${name}" already exists`, 'name');
}
