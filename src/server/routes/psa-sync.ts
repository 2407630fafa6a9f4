import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { actorOf } from '../plugins/auth.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { invalidFields, notFound, type FieldError } from '../problem.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

const PSA_PROVIDERS = ['connectwise', 'autotask'];

const SyncError = Type.Object({
  id: Uuid,
  connectionId: Uuid,
  entity: Type.String({ examples: ['time_entry'] }),
  entryId: Type.String({ description: "The entry's id in the PSA" }),
  problems: Type.Array(Type.Object({ field: Type.String({ examples: ['actualHours'] }), reason: Type.String() })),
  source: Type.Unknown({ description: 'The entry as the PSA returned it' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

const ProductMapping = Type.Object({
  sku: Type.String({ description: 'Microsoft SKU (offer id)', examples: ['CFQ7TTC0LCHC:0002'] }),
  product: Type.String({ description: 'PSA product: ConnectWise catalog identifier, or Autotask service id', examples: ['M365-BP'] }),
  updatedAt: Timestamp,
});

/** What the PSA sync could not take, and the SKU ↔ PSA product mapping the seat reconciliation compares through. */
export function psaSyncRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const ConnectionParams = Type.Object({ id: Uuid });

  async function psaConnection(id: string) {
    const row = await ctx.db.selectFrom('connections').select(['id', 'provider']).where('id', '=', id).executeTakeFirst();
    if (!row || !PSA_PROVIDERS.includes(row.provider)) throw notFound('PSA connection', id);
    return row;
  }

  r.get(
    '/v1/psa-sync-errors',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['psa'],
        summary: 'PSA entries that were not synced, each naming the fields that failed, newest first; an entry fixed in the PSA leaves the list on the next sync',
        querystring: Type.Object({ ...PageQuery, connectionId: Type.Optional(Uuid) }, { additionalProperties: false }),
        response: { 200: pageOf(SyncError) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, connectionId } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('psa_sync_errors').selectAll();
      if (connectionId) q = q.where('connection_id', '=', connectionId);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return {
        items: page.rows.map((row) => ({
          id: row.id,
          connectionId: row.connection_id,
          entity: row.entity,
          entryId: row.entry_id,
          problems: row.problems as { field: string; reason: string }[],
          source: row.source,
          createdAt: row.created_at.toISOString(),
          updatedAt: row.updated_at.toISOString(),
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  r.get(
    '/v1/connections/:id/psa-product-mappings',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: { tags: ['psa'], summary: 'Which PSA product bills each Microsoft SKU', params: ConnectionParams, response: { 200: Type.Object({ items: Type.Array(ProductMapping) }) } },
    },
    async (request) => {
      await psaConnection(request.params.id);
      const rows = await ctx.db.selectFrom('psa_product_mappings').select(['sku', 'product', 'updated_at']).where('connection_id', '=', request.params.id).orderBy('sku').execute();
      return { items: rows.map((m) => ({ sku: m.sku, product: m.product, updatedAt: m.updated_at.toISOString() })) };
    },
  );

  r.put(
    '/v1/connections/:id/psa-product-mappings',
    {
      config: { auth: { roles: ['admin', 'billing_ops'] } },
      schema: {
        tags: ['psa'],
        summary: 'Replace the SKU ↔ PSA product mapping of a PSA connection',
        params: ConnectionParams,
        body: Type.Object(
          {
            items: Type.Array(
              Type.Object({ sku: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }), product: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) }, { additionalProperties: false }),
              { maxItems: 1000 },
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ProductMapping) }) },
      },
    },
    async (request) => {
      const { id } = request.params;
      await psaConnection(id);
      const { items } = request.body;
      const repeats: FieldError[] = [];
      for (const key of ['sku', 'product'] as const) {
        const seen = new Map<string, number>();
        items.forEach((m, i) => {
          const first = seen.get(m[key]);
          if (first !== undefined) repeats.push({ field: `items.${i}.${key}`, reason: `repeats items.${first}.${key}: a ${key} maps one way only` });
          else seen.set(m[key], i);
        });
      }
      if (repeats.length > 0) throw invalidFields(repeats);
      return ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('psa_product_mappings').select(['sku', 'product']).where('connection_id', '=', id).orderBy('sku').execute();
        await trx.deleteFrom('psa_product_mappings').where('connection_id', '=', id).execute();
        if (items.length > 0) await trx.insertInto('psa_product_mappings').values(items.map((m) => ({ connection_id: id, sku: m.sku, product: m.product }))).execute();
        const after = await trx.selectFrom('psa_product_mappings').select(['sku', 'product', 'updated_at']).where('connection_id', '=', id).orderBy('sku').execute();
        await writeAudit(trx, { ...actorOf(request), action: 'psa_product_mapping.replace', entity: 'connection', entityId: id, before, after: after.map(({ sku, product }) => ({ sku, product })) });
        return { items: after.map((m) => ({ sku: m.sku, product: m.product, updatedAt: m.updated_at.toISOString() })) };
      });
    },
  );
}
