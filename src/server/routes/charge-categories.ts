import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql, type Kysely } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { THIRD_PARTY_PUBLISHERS } from '../../db/charge-categories.ts';
import type { Database } from '../../db/types.ts';
import { CHARGE_CATEGORIES } from '../../engine/categories.ts';
import type { ChargeCategory } from '../../engine/types.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, invalidFields, type FieldError } from '../problem.ts';
import { Justification, Timestamp } from '../wire-types.ts';

// Which Partner Center attribute puts a line in which charge category. Precedence in the
// engine: sku > product > meterCategory > publisher; lookups ignore case.

const Kind = Type.Enum(['sku', 'product', 'meterCategory', 'publisher'], {
  description: "sku: 'ProductId:SkuId'; product: ProductId or ProductName; meterCategory: MeterCategory; publisher: '*' = every non-Microsoft publisher",
});
const Category = Type.Enum(CHARGE_CATEGORIES as ChargeCategory[]);

export const ChargeCategoryMapping = Type.Object(
  {
    version: Type.Integer({ description: 'Increases with every edit; a categorised line records it' }),
    items: Type.Array(Type.Object({ kind: Kind, value: Type.String(), category: Category, updatedAt: Timestamp })),
  },
  { $id: 'ChargeCategoryMapping' },
);

const UpdateMappings = Type.Object(
  {
    mappings: Type.Array(
      Type.Object(
        {
          kind: Kind,
          value: Type.String({ minLength: 1, maxLength: 300 }),
          category: Type.Union([Category, Type.Null()], { description: 'null removes the entry (not with replace)' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    replace: Type.Optional(Type.Boolean({ description: 'true: these entries become the whole mapping; false (default): set or remove just these' })),
    justification: Type.Optional(Justification),
  },
  { additionalProperties: false },
);

async function loadMappingView(db: Kysely<Database>): Promise<Static<typeof ChargeCategoryMapping>> {
  const rows = await db
    .selectFrom('charge_category_mappings')
    .select(['match_kind', 'match_value', 'category', 'updated_at'])
    .orderBy('match_kind')
    .orderBy(sql`lower(match_value)`)
    .execute();
  const latest = await db.selectFrom('charge_category_mapping_versions').select(({ fn }) => fn.max('version').as('version')).executeTakeFirst();
  return {
    version: latest?.version ?? 1,
    items: rows.map((row) => ({
      kind: row.match_kind as Static<typeof Kind>,
      value: row.match_value,
      category: row.category as ChargeCategory,
      updatedAt: row.updated_at.toISOString(),
    })),
  };
}

export function chargeCategoryRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/charge-categories/mappings',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: { tags: ['rate-cards'], summary: 'The charge-category mapping the close categorises lines with', response: { 200: Type.Ref('ChargeCategoryMapping') } },
    },
    async () => loadMappingView(ctx.db),
  );

  r.put(
    '/v1/charge-categories/mappings',
    {
      config: { auth: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['rate-cards'],
        summary: 'Set, remove or replace charge-category mapping entries (a new mapping version)',
        body: UpdateMappings,
        response: { 200: Type.Ref('ChargeCategoryMapping') },
      },
    },
    async (request) => {
      const { mappings, replace = false, justification } = request.body;
      const errors: FieldError[] = [];
      const seen = new Map<string, number>();
      mappings.forEach((m, i) => {
        const value = m.value.trim();
        if (value === '') errors.push({ field: `mappings.${i}.value`, reason: 'must not be blank' });
        if (m.kind === 'publisher' && value !== THIRD_PARTY_PUBLISHERS) {
          errors.push({ field: `mappings.${i}.value`, reason: `a publisher entry is '${THIRD_PARTY_PUBLISHERS}' (every non-Microsoft publisher): the engine does not tell one third-party publisher from another` });
        }
        if (m.kind === 'sku' && !/^[^:]+:[^:]+$/.test(value)) errors.push({ field: `mappings.${i}.value`, reason: "a sku entry is 'ProductId:SkuId'" });
        if (m.category === null && replace) errors.push({ field: `mappings.${i}.category`, reason: 'cannot be null when replace is true' });
        const key = `${m.kind}|${value.toLowerCase()}`;
        const first = seen.get(key);
        if (first !== undefined) errors.push({ field: `mappings.${i}.value`, reason: `repeats mappings.${first} (values compare case-insensitively)` });
        else seen.set(key, i);
      });
      if (errors.length > 0) {
        throw invalidFields(errors);
      }

      return ctx.db.transaction().execute(async (trx) => {
        // The version row's unique number serialises concurrent edits.
        const before = await loadMappingView(trx);
        if (replace) await trx.deleteFrom('charge_category_mappings').execute();
        for (const [i, m] of mappings.entries()) {
          const value = m.value.trim();
          if (m.category === null) {
            const removed = await trx
              .deleteFrom('charge_category_mappings')
              .where('match_kind', '=', m.kind)
              .where(sql<string>`lower(match_value)`, '=', value.toLowerCase())
              .executeTakeFirst();
            if (removed.numDeletedRows === 0n) {
              throw badRequest(`mappings.${i}.value`, `no ${m.kind} entry "${value}" to remove`);
            }
            continue;
          }
          await trx
            .insertInto('charge_category_mappings')
            .values({ match_kind: m.kind, match_value: value, category: m.category })
            .onConflict((oc) => oc.expression(sql`match_kind, lower(match_value)`).doUpdateSet((eb) => ({ match_value: eb.ref('excluded.match_value'), category: eb.ref('excluded.category') })))
            .execute();
        }
        await trx
          .insertInto('charge_category_mapping_versions')
          .values({ version: before.version + 1, created_by: actorOf(request).actor, justification: justification?.trim() || null })
          .execute();
        const after = await loadMappingView(trx);
        await writeAudit(trx, {
          ...actorOf(request),
          action: 'charge_category_mapping.update',
          entity: 'charge_category_mapping',
          entityId: String(after.version),
          before,
          after,
          justification: justification?.trim() || null,
        });
        return after;
      });
    },
  );
}
