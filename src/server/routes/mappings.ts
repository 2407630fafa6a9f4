import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { builtIn, mappingInForce, mappingVersions, saveMappingVersion, type MappingVersion } from '../../db/field-mappings.ts';
import { checkMapping } from '../../mappings/engine/validate.ts';
import { applyMapping } from '../../mappings/engine/apply.ts';
import type { MappingRule, RuleProblem, Scalar } from '../../mappings/engine/types.ts';
import { ROUNDINGS } from '../../mappings/engine/transforms.ts';
import { UNITS } from '../../mappings/engine/units.ts';
import { EXPRESSION_FUNCTIONS } from '../../mappings/engine/expression.ts';
import { PROVIDER_SYSTEMS } from '../../db/field-owners.ts';
import { forConnection, mappingObject, mappingObjectsOf, type MappingObject } from '../../mappings/objects.ts';
import { licenseSourceRecord } from '../../mappings/partner-center/license-mapping.ts';
import { usageSourceRecord } from '../../mappings/partner-center/usage-mapping.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, badRequest, conflict, invalidFields, notFound } from '../problem.ts';
import { Justification, Timestamp, Uuid } from '../wire-types.ts';

const Path = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*)*$', maxLength: 200, examples: ['deal.properties.azure_budget'] });
const ScalarValue = Type.Union([Type.String({ maxLength: 1000 }), Type.Boolean(), Type.Null()], { description: 'Text (numbers as decimal strings), a boolean or null' });
const closed = { additionalProperties: false } as const;
const Table = Type.Record(Type.String({ maxLength: 200 }), ScalarValue);

const Transform = Type.Union(
  [
    Type.Object({ type: Type.Literal('copy') }, closed),
    Type.Object({ type: Type.Literal('constant'), value: ScalarValue }, closed),
    Type.Object({ type: Type.Literal('lookup'), table: Table, fallback: Type.Optional(ScalarValue) }, closed),
    Type.Object({ type: Type.Literal('default'), value: ScalarValue }, closed),
    Type.Object({ type: Type.Literal('decimal'), scale: Type.Integer({ minimum: 0, maximum: 20 }), rounding: Type.Optional(Type.Enum(Object.keys(ROUNDINGS))) }, closed),
    Type.Object({ type: Type.Literal('unit'), from: Type.Enum(Object.keys(UNITS)), to: Type.Enum(Object.keys(UNITS)) }, closed),
    Type.Object(
      { type: Type.Literal('datetime'), to: Type.Enum(['date', 'datetime', 'epoch_ms', 'local']), timeZone: Type.Optional(Type.String({ maxLength: 64, examples: ['Europe/Berlin'] })) },
      closed,
    ),
    Type.Object({ type: Type.Literal('template'), template: Type.String({ maxLength: 1000, examples: ['{company.properties.name} ({deal.id})'] }) }, closed),
    Type.Object({ type: Type.Literal('concat'), sources: Type.Array(Path, { minItems: 1, maxItems: 20 }), separator: Type.Optional(Type.String({ maxLength: 20 })) }, closed),
    Type.Object({ type: Type.Literal('split'), separator: Type.String({ minLength: 1, maxLength: 20 }), index: Type.Integer({ minimum: -100, maximum: 100 }) }, closed),
    Type.Object({ type: Type.Literal('enum'), map: Type.Record(Type.String({ maxLength: 200 }), Type.String({ maxLength: 200 })) }, closed),
    Type.Object(
      {
        type: Type.Literal('expression'),
        expression: Type.String({
          minLength: 1,
          maxLength: 500,
          description: `Decimal arithmetic (+ - * /), comparisons, and/or/not, cond ? a : b, field paths, 'text', and the functions ${EXPRESSION_FUNCTIONS.join(', ')}`,
          examples: ['round(decimal(deal.properties.azure_budget) * 1.1, 2)'],
        }),
      },
      closed,
    ),
  ],
  { description: 'How the value is transformed on the way' },
);

const Rule = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64, description: 'Names the rule in errors', examples: ['azure-budget'] }),
    target: Path,
    source: Type.Optional(Path),
    transform: Transform,
  },
  closed,
);
const Rules = Type.Array(Rule, { maxItems: 200 });

const MappingView = Type.Object(
  {
    connectionId: Uuid,
    provider: Type.String({ examples: ['hubspot'] }),
    object: Type.String({ examples: ['deal'] }),
    description: Type.String(),
    version: Type.Integer({ description: '0 is the built-in default' }),
    builtIn: Type.Boolean({ description: 'True while no version has been saved: the connector default is in force' }),
    rules: Rules,
    reason: Type.Union([Type.String(), Type.Null()]),
    copiedFrom: Type.Union([Type.Integer(), Type.Null()], { description: 'The version a rollback copied' }),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Union([Timestamp, Type.Null()]),
  },
  { $id: 'FieldMapping' },
);

const RuleProblemSchema = Type.Object({ rule: Type.String(), field: Type.String(), reason: Type.String() });
const PreviewField = Type.Object({ target: Type.String(), before: ScalarValue, after: ScalarValue, changed: Type.Boolean() });
const PreviewResult = Type.Object({
  version: Type.Union([Type.Integer(), Type.Literal('draft')], { description: 'What was previewed: the draft posted, or the version in force' }),
  inForce: Type.Integer({ description: 'The version "before" comes from' }),
  records: Type.Array(
    Type.Object({
      label: Type.String({ description: 'Which record: a quote of a real deal, or sample N' }),
      fields: Type.Array(PreviewField),
      problems: Type.Array(RuleProblemSchema, { description: 'Rules the draft could not apply to this record' }),
    }),
  ),
});

const Params = Type.Object({ id: Uuid });
const ObjectParams = Type.Object({ id: Uuid, object: Type.String({ maxLength: 64, description: 'The object type, e.g. deal', examples: ['deal'] }) });

type View = Static<typeof MappingView>;

function view(connectionId: string, object: MappingObject, v: MappingVersion): View {
  return {
    connectionId,
    provider: object.provider,
    object: object.object,
    description: object.description,
    version: v.version,
    builtIn: v.version === 0,
    rules: v.rules as View['rules'],
    reason: v.reason,
    copiedFrom: v.copiedFrom,
    createdBy: v.createdBy,
    createdAt: v.createdAt ? v.createdAt.toISOString() : null,
  };
}

/** 400 naming each rule's problem at its place in the body. */
function refused(rules: readonly MappingRule[], problems: RuleProblem[], at = 'rules'): ApiProblem {
  return invalidFields(
    problems.map((p) => {
      const index = rules.findIndex((r) => r.id === p.rule);
      return { field: `${at}.${index < 0 ? 0 : index}.${p.field}`, reason: `rule ${p.rule}: ${p.reason}` };
    }),
  );
}

function checked(object: MappingObject, rules: readonly MappingRule[], at = 'rules') {
  const result = checkMapping({ rules }, object.source, object.target);
  if (!result.checked) throw refused(rules, result.problems, at);
  return result.checked;
}

/** Field mappings per connection and object: versioned, audited, previewed before they apply. */
export function mappingRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const readers = ['admin', 'billing_ops', 'auditor'] as const;

  async function connectionOf(id: string) {
    const row = await ctx.db.selectFrom('connections').select(['id', 'provider', 'settings']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('connection', id);
    return row;
  }
  async function objectOf(id: string, object: string, field = 'object') {
    const connection = await connectionOf(id);
    const found = mappingObject(connection.provider, object);
    if (found) return forConnection(found, connection.settings as Record<string, unknown>);
    const known = mappingObjectsOf(connection.provider).map((o) => o.object);
    throw new ApiProblem(404, 'not-found', 'Not found', `${field} ${object}: a ${connection.provider} connection maps ${known.length ? known.join(', ') : 'no object'}`, { field });
  }

  r.get(
    '/v1/connections/:id/mappings',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['mappings'],
        summary: "The field mapping in force for each object the connection's provider maps (version 0: the built-in default)",
        params: Params,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('FieldMapping')) }) },
      },
    },
    async (request) => {
      const connection = await connectionOf(request.params.id);
      const items: View[] = [];
      for (const object of mappingObjectsOf(connection.provider).map((o) => forConnection(o, connection.settings as Record<string, unknown>))) {
        items.push(view(connection.id, object, await mappingInForce(ctx.db, connection.id, object.object, object.defaultRules)));
      }
      return { items };
    },
  );

  r.post(
    '/v1/connections/:id/mappings',
    {
      config: { auth: { roles: ['admin'] }, idempotent: true },
      schema: {
        tags: ['mappings'],
        summary: "Save the first version of an object's mapping, replacing the built-in default (later changes: PUT)",
        params: Params,
        body: Type.Object({ object: Type.String({ maxLength: 64, examples: ['deal'] }), rules: Rules, reason: Justification }, closed),
        response: { 201: Type.Ref('FieldMapping') },
      },
    },
    async (request, reply) => {
      const { object: name, rules, reason } = request.body;
      const object = await objectOf(request.params.id, name);
      checked(object, rules as MappingRule[]);
      const saved = await ctx.db.transaction().execute(async (trx) => {
        const [existing] = await mappingVersions(trx, request.params.id, object.object);
        if (existing) throw conflict(`the ${object.object} mapping already has version ${existing.version}: PUT /v1/connections/${request.params.id}/mappings/${object.object} to change it`, 'object');
        return saveMappingVersion(trx, { connectionId: request.params.id, object: object.object, rules: rules as MappingRule[], reason }, actorOf(request));
      });
      return reply.code(201).send(view(request.params.id, object, saved));
    },
  );

  r.get(
    '/v1/connections/:id/mappings/:object',
    {
      config: { auth: { roles: [...readers] } },
      schema: { tags: ['mappings'], summary: "An object's mapping in force", params: ObjectParams, response: { 200: Type.Ref('FieldMapping') } },
    },
    async (request) => {
      const object = await objectOf(request.params.id, request.params.object);
      return view(request.params.id, object, await mappingInForce(ctx.db, request.params.id, object.object, object.defaultRules));
    },
  );

  r.put(
    '/v1/connections/:id/mappings/:object',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['mappings'],
        summary: 'Save a new version of the mapping (checked against the schemas, audited with the reason); the next sync uses it',
        params: ObjectParams,
        body: Type.Object({ rules: Rules, reason: Justification }, closed),
        response: { 200: Type.Ref('FieldMapping') },
      },
    },
    async (request) => {
      const object = await objectOf(request.params.id, request.params.object);
      const rules = request.body.rules as MappingRule[];
      checked(object, rules);
      const saved = await ctx.db.transaction().execute((trx) =>
        saveMappingVersion(trx, { connectionId: request.params.id, object: object.object, rules, reason: request.body.reason }, actorOf(request)),
      );
      return view(request.params.id, object, saved);
    },
  );

  r.get(
    '/v1/connections/:id/mappings/:object/versions',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['mappings'],
        summary: 'Every version of the mapping, newest first, ending with the built-in default (version 0)',
        params: ObjectParams,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('FieldMapping')) }) },
      },
    },
    async (request) => {
      const object = await objectOf(request.params.id, request.params.object);
      const versions = await mappingVersions(ctx.db, request.params.id, object.object);
      return { items: [...versions, builtIn(object.defaultRules)].map((v) => view(request.params.id, object, v)) };
    },
  );

  r.post(
    '/v1/connections/:id/mappings/:object/rollback',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['mappings'],
        summary: 'Put an earlier version back in force, as a new version copying its rules (0: the built-in default)',
        params: ObjectParams,
        body: Type.Object({ version: Type.Integer({ minimum: 0 }), reason: Justification }, closed),
        response: { 200: Type.Ref('FieldMapping') },
      },
    },
    async (request) => {
      const object = await objectOf(request.params.id, request.params.object);
      const { version, reason } = request.body;
      const saved = await ctx.db.transaction().execute(async (trx) => {
        const earlier = version === 0 ? builtIn(object.defaultRules) : (await mappingVersions(trx, request.params.id, object.object)).find((v) => v.version === version);
        if (!earlier) throw new ApiProblem(404, 'not-found', 'Not found', `version: the ${object.object} mapping has no version ${version}`, { field: 'version' });
        checked(object, earlier.rules, 'version');
        return saveMappingVersion(trx, { connectionId: request.params.id, object: object.object, rules: earlier.rules, reason, copiedFrom: version }, actorOf(request));
      });
      return view(request.params.id, object, saved);
    },
  );

  r.post(
    '/v1/connections/:id/mappings/:object/preview',
    {
      config: { auth: { roles: ['admin', 'billing_ops'] } },
      schema: {
        tags: ['mappings'],
        summary: 'Apply a draft mapping to the last N real records (as the hub last read them) or to posted samples: before/after per field and the errors. Writes nothing.',
        params: ObjectParams,
        body: Type.Object(
          {
            rules: Type.Optional(Type.Array(Rule, { maxItems: 200, description: 'The draft; default the mapping in force' })),
            records: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 50, description: 'Sample source records, shaped as the object schema says' })),
            last: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'How many recent real records, when no samples are posted' })),
          },
          closed,
        ),
        response: { 200: PreviewResult },
      },
    },
    async (request) => {
      const object = await objectOf(request.params.id, request.params.object);
      const inForce = await mappingInForce(ctx.db, request.params.id, object.object, object.defaultRules);
      const draftRules = (request.body.rules as MappingRule[] | undefined) ?? inForce.rules;
      const draft = checked(object, draftRules);
      const current = checkMapping({ rules: inForce.rules }, object.source, object.target).checked;
      const samples: { label: string; record: unknown }[] = request.body.records
        ? request.body.records.map((record, i) => ({ label: `sample ${i}`, record }))
        : await recentRecords(object, request.params.id, request.body.last ?? 10);
      return {
        version: request.body.rules ? ('draft' as const) : inForce.version,
        inForce: inForce.version,
        records: samples.map(({ label, record }) => {
          const before = current ? applyMapping(current, object.source, object.target, record).fields : [];
          const after = applyMapping(draft, object.source, object.target, record);
          const targets = [...new Set([...before.map((f) => f.target), ...after.fields.map((f) => f.target), ...after.problems.map((p) => p.field)])];
          const valueIn = (fields: { target: string; value: Scalar }[], target: string) => fields.find((f) => f.target === target)?.value ?? null;
          return {
            label,
            fields: targets.map((target) => {
              const b = valueIn(before, target);
              const a = valueIn(after.fields, target);
              return { target, before: b, after: a, changed: b !== a };
            }),
            problems: after.problems,
          };
        }),
      };
    },
  );

  /** The records the object's sync last mapped for this connection, newest first. */
  async function recentRecords(object: MappingObject, connectionId: string, last: number): Promise<{ label: string; record: unknown }[]> {
    // Companies and ERP records are read fresh each time and not kept: their preview takes posted samples.
    if (object.object === 'company' || PROVIDER_SYSTEMS[object.provider] === 'erp') return [];
    if (object.object === 'line_item') {
      const rows = await ctx.db
        .selectFrom('quote_lines as l')
        .innerJoin('quotes as q', 'q.id', 'l.quote_id')
        .innerJoin('deals as d', 'd.id', 'q.deal_id')
        .select(['l.source', 'l.name', 'd.name as deal', 'q.revision'])
        .where('d.connection_id', '=', connectionId)
        .orderBy('q.created_at', 'desc')
        .orderBy('l.position')
        .limit(last)
        .execute();
      return rows.map((row) => ({ label: `${row.name} (${row.deal}, quote revision ${row.revision})`, record: row.source }));
    }
    if (object.provider === 'partner-center' && object.object === 'usage_line') {
      // Newest day first, along the primary key: an estate holds millions of lines.
      const rows = await ctx.db
        .selectFrom('usage_lines')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .orderBy('usage_date', 'desc')
        .orderBy('line_key', 'desc')
        .limit(last)
        .execute();
      return rows.map((row) => ({ label: `usage line ${row.line_key} of ${row.usage_date} (${row.meter_name ?? row.meter_id ?? 'no meter'})`, record: usageSourceRecord(row as unknown as Record<string, unknown>) }));
    }
    if (object.provider === 'partner-center' && object.object === 'license_line') {
      const rows = await ctx.db
        .selectFrom('license_lines')
        .selectAll()
        .where('connection_id', '=', connectionId)
        .orderBy('charge_period', 'desc')
        .orderBy('line_key', 'desc')
        .limit(last)
        .execute();
      return rows.map((row) => ({ label: `licence line ${row.line_key} of ${row.charge_period} (${row.sku_name ?? row.sku_id ?? 'no SKU'})`, record: licenseSourceRecord(row as unknown as Record<string, unknown>) }));
    }
    if (object.provider === 'partner-center') {
      throw badRequest('records', `the hub keeps no vendor copy of Partner Center ${object.object}s to preview against: post sample records`);
    }
    if (object.object === 'time_entry') {
      const rows = await ctx.db
        .selectFrom('labour_lines')
        .select(['source', 'entry_id', 'version'])
        .where('connection_id', '=', connectionId)
        .orderBy('created_at', 'desc')
        .limit(last)
        .execute();
      return rows.map((row) => ({ label: `time entry ${row.entry_id}, version ${row.version}`, record: row.source }));
    }
    const rows = await ctx.db
      .selectFrom('quotes as q')
      .innerJoin('deals as d', 'd.id', 'q.deal_id')
      .select(['q.mapping_source', 'd.name', 'q.revision'])
      .where('d.connection_id', '=', connectionId)
      .where('q.mapping_source', 'is not', null)
      .orderBy('q.created_at', 'desc')
      .limit(last)
      .execute();
    return rows.map((row) => ({ label: `${row.name}, quote revision ${row.revision}`, record: row.mapping_source }));
  }
}

export { MappingView };
