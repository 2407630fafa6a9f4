import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { loadMappingView } from '../../db/accounting-mappings.ts';
import { lineMappingProblems } from '../../db/accounting-problems.ts';
import { writeAudit } from '../../db/audit.ts';
import { ERP_SYSTEMS, MAPPING_KINDS, entryProblems, type Dimensions, type ErpSystem } from '../../mappings/accounting/line-accounts.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, invalidFields, type FieldError } from '../problem.ts';
import { Justification, Timestamp, Uuid } from '../wire-types.ts';

// Where invoice lines land in each ERP: revenue GL account and tax code per SKU, charge
// category or special line kind; cost-centre dimensions per cost node. Versioned per ERP
// and audited like the charge-category mapping; posting refuses an invoice while any of
// its lines is listed by /problems.

const System = Type.Enum([...ERP_SYSTEMS]);
const Kind = Type.Enum([...MAPPING_KINDS], {
  description:
    "sku: the invoice line's SKU; category: a charge category; lineKind: 'minimum', 'rounding' or 'labour' (PSA labour on a combined invoice); costNode: a cost node id (its descendants inherit it); deferredRevenue: '*' (the account upfront terms are deferred to)",
});
const DimensionsSchema = Type.Object(
  {
    class: Type.Optional(Type.String({ minLength: 1, description: 'QuickBooks Class id or NetSuite class internal id' })),
    department: Type.Optional(Type.String({ minLength: 1, description: 'QuickBooks Department id or NetSuite department internal id' })),
    location: Type.Optional(Type.String({ minLength: 1, description: 'NetSuite location internal id' })),
    tracking: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ minLength: 1 }), option: Type.String({ minLength: 1 }) }, { additionalProperties: false }), {
        minItems: 1,
        description: 'Xero tracking category name and option (at most two)',
      }),
    ),
  },
  { additionalProperties: false },
);

const MappingItem = Type.Object({
  kind: Kind,
  value: Type.String(),
  account: Type.Union([Type.String(), Type.Null()]),
  taxCode: Type.Union([Type.String(), Type.Null()]),
  dimensions: Type.Union([DimensionsSchema, Type.Null()]),
  updatedAt: Timestamp,
});

const MappingAnswer = Type.Object({
  system: System,
  version: Type.Integer({ description: 'Increases with every edit of this ERP’s mapping; 0 before the first' }),
  items: Type.Array(MappingItem),
});

const UpdateBody = Type.Object(
  {
    system: System,
    mappings: Type.Array(
      Type.Object(
        {
          kind: Kind,
          value: Type.String({ minLength: 1, maxLength: 300 }),
          account: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'GL account: QuickBooks Account Id, Xero account Code, NetSuite account internal id' })),
          taxCode: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'QuickBooks TaxCode Id, Xero TaxType, NetSuite tax code internal id' })),
          dimensions: Type.Optional(DimensionsSchema),
          remove: Type.Optional(Type.Boolean({ description: 'true removes the entry (not with replace)' })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 5000 },
    ),
    replace: Type.Optional(Type.Boolean({ description: "true: these entries become this ERP's whole mapping; false (default): set or remove just these" })),
    justification: Type.Optional(Justification),
  },
  { additionalProperties: false },
);

const ProblemsAnswer = Type.Object({
  items: Type.Array(
    Type.Object({
      invoiceId: Uuid,
      invoiceNumber: Type.String(),
      lineId: Uuid,
      position: Type.Integer(),
      description: Type.String(),
      problems: Type.Array(Type.Object({ field: Type.String({ description: "'account' or 'costNode'" }), reason: Type.String() })),
    }),
  ),
  truncated: Type.Boolean({ description: 'More lines have problems than `limit`' }),
});

export function accountingMappingRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/accounting-mappings',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['accounting'],
        summary: "One ERP's accounting mapping",
        querystring: Type.Object({ system: System }, { additionalProperties: false }),
        response: { 200: MappingAnswer },
      },
    },
    async (request) => loadMappingView(ctx.db, request.query.system),
  );

  r.put(
    '/v1/accounting-mappings',
    {
      config: { auth: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['accounting'],
        summary: "Set, remove or replace entries of one ERP's accounting mapping (a new version, audited)",
        body: UpdateBody,
        response: { 200: MappingAnswer },
      },
    },
    async (request) => {
      const { system, mappings, replace = false, justification } = request.body;
      const errors: FieldError[] = [];
      const seen = new Map<string, number>();
      mappings.forEach((m, i) => {
        if (m.remove) {
          if (replace) errors.push({ field: `mappings.${i}.remove`, reason: 'cannot remove when replace is true' });
          if (m.account || m.taxCode || m.dimensions) errors.push({ field: `mappings.${i}.remove`, reason: 'a removal carries no account, taxCode or dimensions' });
        } else {
          for (const p of entryProblems(system, m)) errors.push({ field: `mappings.${i}.${p.field}`, reason: p.reason });
        }
        const key = `${m.kind}|${m.value.trim().toLowerCase()}`;
        const first = seen.get(key);
        if (first !== undefined) errors.push({ field: `mappings.${i}.value`, reason: `repeats mappings.${first} (values compare case-insensitively)` });
        else seen.set(key, i);
      });
      if (errors.length > 0) throw invalidFields(errors);

      return ctx.db.transaction().execute(async (trx) => {
        const before = await loadMappingView(trx, system);
        // The version row's unique (system, version) serialises concurrent edits.
        await trx
          .insertInto('accounting_mapping_versions')
          .values({ system, version: before.version + 1, created_by: actorOf(request).actor, justification: justification?.trim() || null })
          .execute();
        if (replace) await trx.deleteFrom('accounting_mappings').where('system', '=', system).execute();
        for (const [i, m] of mappings.entries()) {
          const value = m.value.trim();
          if (m.remove) {
            const removed = await trx
              .deleteFrom('accounting_mappings')
              .where('system', '=', system)
              .where('match_kind', '=', m.kind)
              .where(sql<string>`lower(match_value)`, '=', value.toLowerCase())
              .executeTakeFirst();
            if (removed.numDeletedRows === 0n) throw badRequest(`mappings.${i}.value`, `no ${m.kind} entry "${value}" to remove`);
            continue;
          }
          const row = { account: m.account ?? null, tax_code: m.taxCode ?? null, dimensions: m.dimensions ? JSON.stringify(m.dimensions satisfies Dimensions) : null };
          await trx
            .insertInto('accounting_mappings')
            .values({ system, match_kind: m.kind, match_value: value, ...row })
            .onConflict((oc) => oc.expression(sql`system, match_kind, lower(match_value)`).doUpdateSet({ match_value: value, ...row }))
            .execute();
        }
        const after = await loadMappingView(trx, system);
        await writeAudit(trx, {
          ...actorOf(request),
          action: 'accounting_mapping.update',
          entity: 'accounting_mapping',
          entityId: `${system}@${after.version}`,
          before,
          after,
          justification: justification?.trim() || null,
        });
        return after;
      });
    },
  );

  r.get(
    '/v1/accounting-mappings/problems',
    {
      config: { auth: { roles: ['admin', 'finance', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['accounting'],
        summary: 'Every line of the issued invoices in scope that would post to the ERP without a mapping; posting refuses an invoice that has any',
        querystring: Type.Object(
          {
            system: System,
            invoiceId: Type.Optional(Uuid),
            billingRunId: Type.Optional(Uuid),
            customerId: Type.Optional(Uuid),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000, default: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: ProblemsAnswer },
      },
    },
    async (request) => {
      const { system, limit = 500, ...scope } = request.query;
      return lineMappingProblems(ctx.db, system as ErpSystem, scope, limit);
    },
  );
}
