import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import { createCustomer, loadCustomer, toCustomerView } from '../../db/customers.ts';
import { entityLinkedTo } from '../../db/external-links.ts';
import type { Database } from '../../db/types.ts';
import { actorOf } from '../plugins/auth.ts';
import { ApiProblem, conflict, invalidFields, notFound, type FieldError } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';

const Uuid = Type.String({ format: 'uuid' });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });
const System = Type.String({ pattern: '^[a-z][a-z0-9_-]*$', maxLength: 64, description: 'e.g. partner-center, salesforce, connectwise, netsuite', examples: ['partner-center'] });

export const ExternalLinkInput = Type.Object(
  { system: System, externalId: Type.String({ minLength: 1, maxLength: 255 }) },
  { additionalProperties: false },
);
const REQUIRED_TAGS_DOC = {
  maxItems: 50,
  description:
    "Tag keys every Azure usage line should carry with a non-blank value: the close reports the share of usage cost that does. null (not set): the tag keys the customer's allocation rules match on; []: nothing required.",
  examples: [['costCenter', 'project']],
};
const TagKey = Type.String({ maxLength: 512, description: 'An Azure tag key (compared case-insensitively), not blank' });
const RequiredTags = Type.Array(TagKey, REQUIRED_TAGS_DOC);
// Input: one `type: ['array', 'null']` rather than a union, because the app's type coercion
// tries a union's branches in turn and would read null as [""] (array branch) or [""] as
// null (null branch). No minLength on the items for the same reason: requiredTagsOf names blank keys.
const RequiredTagsInput = Type.Unsafe<string[] | null>({ type: ['array', 'null'], items: TagKey, ...REQUIRED_TAGS_DOC });
const ExternalLink = Type.Object({ id: Uuid, system: Type.String(), externalId: Type.String(), createdAt: Type.String({ format: 'date-time' }) });

export const Customer = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
    billingCurrency: Type.String(),
    billingEmail: Type.Union([Type.String(), Type.Null()]),
    requiredTags: Type.Union([RequiredTags, Type.Null()]),
    externalLinks: Type.Array(ExternalLink),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Customer' },
);

const CreateCustomer = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    billingCurrency: Type.Optional(Currency),
    billingEmail: Type.Optional(Type.String({ format: 'email' })),
    requiredTags: Type.Optional(RequiredTagsInput),
    externalLinks: Type.Optional(Type.Array(ExternalLinkInput, { maxItems: 20 })),
  },
  { additionalProperties: false },
);
const UpdateCustomer = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
    billingCurrency: Type.Optional(Currency),
    billingEmail: Type.Optional(Type.Union([Type.String({ format: 'email' }), Type.Null()])),
    requiredTags: Type.Optional(RequiredTagsInput),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Trimmed tag keys; 400 naming each blank or repeated (case-insensitively) key. */
function requiredTagsOf(tags: readonly string[] | null | undefined): string[] | null | undefined {
  if (tags == null) return tags;
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  const out = tags.map((tag, i) => {
    const key = tag.trim();
    if (key === '') errors.push({ field: `requiredTags.${i}`, reason: 'must not be blank' });
    const first = seen.get(key.toLowerCase());
    if (first !== undefined) errors.push({ field: `requiredTags.${i}`, reason: `repeats requiredTags.${first} (tag keys compare case-insensitively)` });
    else seen.set(key.toLowerCase(), i);
    return key;
  });
  if (errors.length > 0) throw invalidFields(errors);
  return out;
}

/** A second record may not claim the same vendor id: say which one does. */
async function assertLinkFree(trx: Transaction<Database>, system: string, externalId: string, field: string) {
  const taken = await entityLinkedTo(trx, 'customer', system, externalId);
  if (taken) throw conflict(`${system} id ${externalId} is already linked to customer ${taken}`, field);
}

/** Checks a new customer's links (one per system, none held by another record), then creates it. */
async function createCheckedCustomer(trx: Transaction<Database>, input: Static<typeof CreateCustomer>, actor: { actor: string; requestId?: string }) {
  const links = input.externalLinks ?? [];
  const seen = new Set<string>();
  for (const [i, link] of links.entries()) {
    if (seen.has(link.system)) throw conflict(`two links to ${link.system}: a customer has one identity per system`, `externalLinks.${i}.system`);
    seen.add(link.system);
    await assertLinkFree(trx, link.system, link.externalId, `externalLinks.${i}.externalId`);
  }
  return createCustomer(trx, { ...input, requiredTags: requiredTagsOf(input.requiredTags) ?? null }, actor);
}

export function customerRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const staff = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] as const;
  const writers = ['admin', 'sales_ops', 'billing_ops'] as const;

  r.post(
    '/v1/customers',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      schema: { tags: ['customers'], summary: 'Create a customer', body: CreateCustomer, response: { 201: Type.Ref('Customer') } },
    },
    async (request, reply) => {
      const created = await ctx.db.transaction().execute((trx) => createCheckedCustomer(trx, request.body, actorOf(request)));
      return reply.code(201).send(created);
    },
  );

  r.get(
    '/v1/customers',
    {
      config: { auth: { roles: [...staff] } },
      schema: {
        tags: ['customers'],
        summary: 'List customers, newest first',
        querystring: Type.Object({
          ...PageQuery,
          system: Type.Optional(System),
          externalId: Type.Optional(Type.String({ description: 'With `system`: find the customer holding this vendor id' })),
        }, { additionalProperties: false }),
        response: { 200: pageOf(Type.Ref('Customer')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, system, externalId } = request.query;
      const position = decodeCursor(cursor);
      let query = ctx.db.selectFrom('customers').selectAll('customers');
      if (system || externalId) {
        if (!system || !externalId) throw new ApiProblem(400, 'validation', 'Invalid request', 'system and externalId go together', { field: system ? 'externalId' : 'system' });
        query = query.where(({ exists, selectFrom }) =>
          exists(
            selectFrom('external_links')
              .select('external_links.id')
              .whereRef('external_links.entity_id', '=', 'customers.id')
              .where('external_links.entity', '=', 'customer')
              .where('external_links.system', '=', system)
              .where('external_links.external_id', '=', externalId),
          ),
        );
      }
      if (position) query = query.where((eb) => eb(eb.refTuple('customers.created_at', 'customers.id'), '<', eb.tuple(position.createdAt, position.id)));
      const rows = await query.orderBy('customers.created_at', 'desc').orderBy('customers.id', 'desc').limit(limit + 1).execute();
      const page = paginate(rows, limit);
      const ids = page.rows.map((c) => c.id);
      const links = ids.length
        ? await ctx.db
            .selectFrom('external_links')
            .select(['id', 'system', 'external_id', 'created_at', 'entity_id'])
            .where('entity', '=', 'customer')
            .where('entity_id', 'in', ids)
            .orderBy('system')
            .execute()
        : [];
      return { items: page.rows.map((c) => toCustomerView(c, links.filter((l) => l.entity_id === c.id))), nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/customers/:id',
    {
      config: { auth: { roles: [...staff, 'portal'], customerParam: 'id' } },
      schema: { tags: ['customers'], summary: 'Get a customer', params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('Customer') } },
    },
    async (request) => {
      const customer = await loadCustomer(ctx.db, request.params.id);
      if (!customer) throw notFound('customer', request.params.id);
      return customer;
    },
  );

  r.patch(
    '/v1/customers/:id',
    {
      config: { auth: { roles: [...writers] } },
      schema: { tags: ['customers'], summary: 'Update a customer', params: Type.Object({ id: Uuid }), body: UpdateCustomer, response: { 200: Type.Ref('Customer') } },
    },
    async (request) => {
      const { id } = request.params;
      const requiredTags = requiredTagsOf(request.body.requiredTags);
      return ctx.db.transaction().execute(async (trx) => {
        const before = await loadCustomer(trx, id);
        if (!before) throw notFound('customer', id);
        const b = request.body;
        await trx
          .updateTable('customers')
          .set({
            ...(b.name !== undefined ? { name: b.name.trim() } : {}),
            ...(b.status !== undefined ? { status: b.status } : {}),
            ...(b.billingCurrency !== undefined ? { billing_currency: b.billingCurrency } : {}),
            ...(b.billingEmail !== undefined ? { billing_email: b.billingEmail } : {}),
            ...(requiredTags !== undefined ? { required_tags: requiredTags } : {}),
          })
          .where('id', '=', id)
          .execute();
        const after = (await loadCustomer(trx, id))!;
        await writeAudit(trx, { ...actorOf(request), action: 'customer.update', entity: 'customer', entityId: id, before, after });
        return after;
      });
    },
  );

  r.post(
    '/v1/customers/:id/external-links',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      schema: {
        tags: ['customers'],
        summary: "Link the customer to its id in another system",
        params: Type.Object({ id: Uuid }),
        body: ExternalLinkInput,
        response: { 201: Type.Ref('Customer') },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const result = await ctx.db.transaction().execute(async (trx) => {
        const before = await loadCustomer(trx, id);
        if (!before) throw notFound('customer', id);
        if (before.externalLinks.some((l) => l.system === request.body.system)) {
          throw conflict(`customer ${id} already has a ${request.body.system} link`, 'system');
        }
        await assertLinkFree(trx, request.body.system, request.body.externalId, 'externalId');
        await trx
          .insertInto('external_links')
          .values({ entity: 'customer', entity_id: id, system: request.body.system, external_id: request.body.externalId })
          .execute();
        const after = (await loadCustomer(trx, id))!;
        await writeAudit(trx, { ...actorOf(request), action: 'customer.link', entity: 'customer', entityId: id, before, after });
        return after;
      });
      return reply.code(201).send(result);
    },
  );

  r.delete(
    '/v1/customers/:id/external-links/:linkId',
    {
      config: { auth: { roles: [...writers] } },
      schema: {
        tags: ['customers'],
        summary: 'Remove a link to another system',
        params: Type.Object({ id: Uuid, linkId: Uuid }),
        response: { 200: Type.Ref('Customer') },
      },
    },
    async (request) => {
      const { id, linkId } = request.params;
      return ctx.db.transaction().execute(async (trx) => {
        const before = await loadCustomer(trx, id);
        if (!before) throw notFound('customer', id);
        const removed = await trx
          .deleteFrom('external_links')
          .where('id', '=', linkId)
          .where('entity', '=', 'customer')
          .where('entity_id', '=', id)
          .executeTakeFirst();
        if (removed.numDeletedRows === 0n) throw notFound('external link', linkId);
        const after = (await loadCustomer(trx, id))!;
        await writeAudit(trx, { ...actorOf(request), action: 'customer.unlink', entity: 'customer', entityId: id, before, after });
        return after;
      });
    },
  );
}
