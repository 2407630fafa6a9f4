import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { forgetActiveConnections } from '../../db/connection-secrets.ts';
import type { Database } from '../../db/types.ts';
import { credentialProblems, findProvider, PROVIDERS } from '../../connectors/providers.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const ProviderName = Type.Union(PROVIDERS.map((p) => Type.Literal(p.name)));
const CurrencyCode = (description = 'ISO 4217 alphabetic currency code, e.g. EUR') => Type.String({ pattern: '^[A-Z]{3}$', description });
const Settings = Type.Object(
  {
    currencies: Type.Optional(
      Type.Array(CurrencyCode(), {
        maxItems: 200,
        uniqueItems: true,
        description: 'Partner Center: billing currencies to request unbilled data in, on top of those the hub learns from customers and invoices',
      }),
    ),
    currency: Type.Optional(CurrencyCode('Partner Center: one ISO 4217 billing currency to request unbilled data in (older form of currencies)')),
    gdapRequiredRoles: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        minItems: 1,
        maxItems: 50,
        uniqueItems: true,
        description: "Partner Center: Entra role definition ids a customer's GDAP relationship must assign for its syncs to run (default Directory Readers)",
      }),
    ),
  },
  {
    additionalProperties: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
    description: 'Non-secret options of the provider (see GET /v1/providers)',
  },
);

export const Connection = Type.Object(
  {
    id: Uuid,
    provider: Type.String(),
    name: Type.String(),
    status: Type.String(),
    credentialFields: Type.Array(Type.String(), { description: 'Which credentials are set. Their values are never returned.' }),
    settings: Settings,
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Connection' },
);

const CreateConnection = Type.Object(
  {
    provider: ProviderName,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    credentials: Type.Record(Type.String(), Type.String(), { description: 'Write-only; encrypted at rest with AES-256-GCM' }),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false },
);
const UpdateConnection = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('disabled')])),
    credentials: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Replaces the named credentials only' })),
    settings: Type.Optional(Settings),
  },
  { additionalProperties: false, minProperties: 1 },
);

type ConnectionRow = Selectable<Database['connections']>;

export function toConnection(row: ConnectionRow): Static<typeof Connection> {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    status: row.status,
    credentialFields: row.credential_fields,
    settings: row.settings as Static<typeof Settings>,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function assertSettings(providerName: string, settings: Record<string, unknown> | undefined) {
  if (!settings) return;
  const provider = findProvider(providerName)!;
  const known = new Set(provider.settingFields.map((f) => f.name));
  for (const key of Object.keys(settings)) {
    if (!known.has(key)) {
      throw new ApiProblem(400, 'validation', 'Invalid request', `settings.${key}: is not a ${providerName} setting`, { field: `settings.${key}` });
    }
  }
}

function assertCredentials(providerName: string, credentials: Record<string, unknown>, partial: boolean) {
  const problems = credentialProblems(findProvider(providerName)!, credentials, { partial });
  if (problems.length > 0) {
    throw new ApiProblem(400, 'validation', 'Invalid request', problems.map((p) => `${p.field}: ${p.reason}`).join('; '), {
      field: problems[0]!.field,
      errors: problems,
    });
  }
}

export function connectionRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const readers = ['admin', 'billing_ops', 'auditor'] as const;

  r.get(
    '/v1/providers',
    {
      config: { auth: { roles: ['admin', 'billing_ops', 'auditor', 'finance', 'sales_ops'] } },
      schema: {
        tags: ['connections'],
        summary: 'Vendors the hub can connect to, with their credential and setting fields',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                name: Type.String(),
                displayName: Type.String(),
                credentialFields: Type.Array(Type.Object({ name: Type.String(), secret: Type.Boolean(), required: Type.Boolean(), description: Type.String() })),
                settingFields: Type.Array(Type.Object({ name: Type.String(), description: Type.String() })),
              }),
            ),
          }),
        },
      },
    },
    async () => ({ items: [...PROVIDERS] }),
  );

  r.post(
    '/v1/connections',
    {
      config: { auth: { roles: ['admin'] }, idempotent: true },
      schema: { tags: ['connections'], summary: 'Connect a vendor account', body: CreateConnection, response: { 201: Type.Ref('Connection') } },
    },
    async (request, reply) => {
      const b = request.body;
      assertCredentials(b.provider, b.credentials, false);
      assertSettings(b.provider, b.settings);
      const id = randomUUID();
      const row = await ctx.db.transaction().execute(async (trx) => {
        const created = await trx
          .insertInto('connections')
          .values({
            id,
            provider: b.provider,
            name: b.name,
            credentials_encrypted: ctx.secrets.sealJson(b.credentials, id),
            credential_fields: Object.keys(b.credentials).sort(),
            settings: JSON.stringify(b.settings ?? {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, { ...actorOf(request), action: 'connection.create', entity: 'connection', entityId: id, after: toConnection(created) });
        return created;
      });
      forgetActiveConnections(ctx.db);
      return reply.code(201).send(toConnection(row));
    },
  );

  r.get(
    '/v1/connections',
    {
      config: { auth: { roles: [...readers] } },
      schema: {
        tags: ['connections'],
        summary: 'List connections, newest first',
        querystring: Type.Object({ ...PageQuery, provider: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('Connection')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, provider } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('connections').selectAll();
      if (provider) q = q.where('provider', '=', provider);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return { items: page.rows.map(toConnection), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/connections/:id',
    {
      config: { auth: { roles: [...readers] } },
      schema: { tags: ['connections'], summary: 'Get a connection (never its credentials)', params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('Connection') } },
    },
    async (request) => {
      const row = await ctx.db.selectFrom('connections').selectAll().where('id', '=', request.params.id).executeTakeFirst();
      if (!row) throw notFound('connection', request.params.id);
      return toConnection(row);
    },
  );

  r.patch(
    '/v1/connections/:id',
    {
      config: { auth: { roles: ['admin'] } },
      schema: {
        tags: ['connections'],
        summary: 'Rename, disable, rotate credentials or change settings',
        params: Type.Object({ id: Uuid }),
        body: UpdateConnection,
        response: { 200: Type.Ref('Connection') },
      },
    },
    async (request) => {
      const { id } = request.params;
      const b = request.body;
      const updated = await ctx.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('connections').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
        if (!before) throw notFound('connection', id);
        let sealed: { credentials_encrypted: string; credential_fields: string[] } | undefined;
        if (b.credentials) {
          assertCredentials(before.provider, b.credentials, true);
          const merged = { ...ctx.secrets.openJson<Record<string, string>>(before.credentials_encrypted, id), ...b.credentials };
          sealed = { credentials_encrypted: ctx.secrets.sealJson(merged, id), credential_fields: Object.keys(merged).sort() };
        }
        assertSettings(before.provider, b.settings);
        const after = await trx
          .updateTable('connections')
          .set({
            ...(b.name !== undefined ? { name: b.name } : {}),
            ...(b.status !== undefined ? { status: b.status } : {}),
            ...(b.settings !== undefined ? { settings: JSON.stringify(b.settings) } : {}),
            ...(sealed ?? {}),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await writeAudit(trx, {
          ...actorOf(request),
          action: b.credentials ? 'connection.rotate_credentials' : 'connection.update',
          entity: 'connection',
          entityId: id,
          before: toConnection(before),
          after: toConnection(after),
        });
        return toConnection(after);
      });
      // After the commit: webhook intake reads the changed secret or status from the next request on.
      forgetActiveConnections(ctx.db);
      return updated;
    },
  );
}
