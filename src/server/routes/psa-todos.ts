import type { FastifyInstance, FastifyRequest } from 'fastify';
import { approvedCurrencies, todoStake } from '../../db/psa-todo-stakes.ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { writeAudit } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { enqueuePsaTodoWrite } from '../../jobs/psa/enqueue-write.ts';
import { actorOf } from '../plugins/auth.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { conflict, forbidden, invalidFields, notFound } from '../problem.ts';
import { Timestamp, Uuid } from '../wire-types.ts';

const Kind = Type.Enum(['increase', 'decrease', 'missing_product', 'price_differs', 'cancelled_in_microsoft']);
const Status = Type.Enum(['open', 'approved', 'written', 'dismissed', 'superseded', 'failed']);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const PsaTodo = Type.Object(
  {
    id: Uuid,
    connectionId: Uuid,
    customerId: Uuid,
    kind: Kind,
    sku: Type.String({ description: 'The Microsoft SKU (offer id)', examples: ['CFQ7TTC0LCHC:0002'] }),
    product: Nullable(Type.String({ description: 'The PSA product the SKU maps to (ConnectWise catalog identifier, Autotask service id)' })),
    agreementId: Nullable(Type.String()),
    additionId: Nullable(Type.String({ description: 'The agreement addition (ConnectWise) or contract service (Autotask) the write changes; null when one is to be added' })),
    status: Status,
    evidence: Type.Object({
      microsoftQuantity: Type.String({ description: "Seats on the customer's active Microsoft subscriptions of the SKU" }),
      microsoftAsOf: Nullable(Timestamp),
      psaQuantity: Nullable(Type.String({ description: 'Seats the PSA bills for the product (null: no addition)' })),
      psaUnitPrice: Nullable(Type.String()),
      approvedUnitPrice: Nullable(Type.String({ description: "The approved rate card's fixed price for the SKU, when it has one" })),
      moneyAtStakePerMonth: Nullable(Type.String({ description: 'The seat difference at the approved unit price, a month (null without an approved price)', examples: ['63.00'] })),
      currency: Nullable(Type.String({ description: "The approved rate card's currency", examples: ['USD'] })),
    }),
    plannedWrite: Type.Unknown({ description: 'The PSA call approving it makes: { method, path, operations | body } (Autotask adds expect: the units the read-back looks for)' }),
    requestedBy: Nullable(Type.String({ description: 'The person whose change in the hub caused the difference, who may not approve it' })),
    decidedBy: Nullable(Type.String()),
    decidedAt: Nullable(Timestamp),
    reason: Nullable(Type.String({ description: 'Why it was dismissed, or the approval comment' })),
    writeResult: Type.Unknown({ description: 'Once written: already_applied or written, and the PSA record id' }),
    writtenAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'PsaTodo' },
);

type Row = Selectable<Database['psa_todos']>;

function toTodo(row: Row, currency?: string): Static<typeof PsaTodo> {
  return {
    id: row.id,
    connectionId: row.connection_id,
    customerId: row.customer_id,
    kind: row.kind as Static<typeof Kind>,
    sku: row.sku,
    product: row.product,
    agreementId: row.agreement_id,
    additionId: row.addition_id,
    status: row.status as Static<typeof Status>,
    evidence: {
      microsoftQuantity: row.microsoft_quantity,
      microsoftAsOf: row.microsoft_as_of?.toISOString() ?? null,
      psaQuantity: row.psa_quantity,
      psaUnitPrice: row.psa_unit_price,
      approvedUnitPrice: row.approved_unit_price,
      moneyAtStakePerMonth: todoStake(row, currency),
      currency: currency ?? null,
    },
    plannedWrite: row.planned_write,
    requestedBy: row.requested_by,
    decidedBy: row.decided_by,
    decidedAt: row.decided_at?.toISOString() ?? null,
    reason: row.reason,
    writeResult: row.write_result,
    writtenAt: row.written_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The seat to-do queue: differences between Microsoft's seats and the PSA's agreements.
 * Nothing reaches the PSA until a person approves an item; the write job does it.
 */
export function psaTodoRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const deciders = ['finance', 'sales_ops'] as const;
  const Params = Type.Object({ id: Uuid });

  /** A decision on an open to-do, in one transaction with its audit row; `check` may refuse it or add to it. */
  async function decide(
    request: FastifyRequest,
    id: string,
    change: { status: 'approved' | 'dismissed'; reason: string | null },
    action: string,
    justification: string | null,
    check?: (before: Row, actor: string, trx: Transaction<Database>) => Promise<void>,
  ): Promise<Static<typeof PsaTodo>> {
    const actor = actorOf(request);
    return ctx.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('psa_todos').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!before) throw notFound('psa todo', id);
      if (before.status !== 'open') throw conflict(`this to-do is ${before.status}, not open`, 'id');
      await check?.(before, actor.actor, trx);
      const after = await trx
        .updateTable('psa_todos')
        .set({ ...change, decided_by: actor.actor, decided_at: new Date() })
        .where('id', '=', before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const currency = (await approvedCurrencies(trx, [before.customer_id])).get(before.customer_id);
      await writeAudit(trx, { ...actor, action, entity: 'psa_todo', entityId: before.id, before: toTodo(before, currency), after: toTodo(after, currency), justification });
      return toTodo(after, currency);
    });
  }

  r.get(
    '/v1/psa-todos',
    {
      config: { auth: { roles: ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] } },
      schema: {
        tags: ['psa'],
        summary: 'Seat differences between Microsoft and the PSA, with their evidence, newest first',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Type.Enum(['open', 'approved', 'written', 'dismissed', 'superseded', 'failed'], { description: 'Default open' })), customerId: Type.Optional(Uuid) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('PsaTodo')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status = 'open', customerId } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('psa_todos').selectAll().where('status', '=', status);
      if (customerId) q = q.where('customer_id', '=', customerId);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      const currencies = await approvedCurrencies(ctx.db, page.rows.map((t) => t.customer_id));
      return { items: page.rows.map((t) => toTodo(t, currencies.get(t.customer_id))), nextCursor: page.nextCursor };
    },
  );

  r.post(
    '/v1/psa-todos/preview',
    {
      config: { auth: { roles: ['admin', ...deciders] } },
      schema: {
        tags: ['psa'],
        summary: 'Dry run: the PSA writes approving these to-dos would make; changes nothing',
        body: Type.Object({ ids: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ writes: Type.Array(Type.Object({ todoId: Uuid, status: Status, write: Type.Unknown() })) }) },
      },
    },
    async (request) => {
      const rows = await ctx.db.selectFrom('psa_todos').select(['id', 'status', 'planned_write']).where('id', 'in', request.body.ids).execute();
      const byId = new Map(rows.map((row) => [row.id, row]));
      const missing = request.body.ids.map((id, i) => ({ id, i })).filter(({ id }) => !byId.has(id));
      if (missing.length > 0) throw invalidFields(missing.map(({ id, i }) => ({ field: `ids.${i}`, reason: `no to-do ${id}` })));
      return { writes: request.body.ids.map((id) => ({ todoId: id, status: byId.get(id)!.status as Static<typeof Status>, write: byId.get(id)!.planned_write })) };
    },
  );

  r.post(
    '/v1/psa-todos/:id/approve',
    {
      config: { auth: { roles: [...deciders] }, idempotent: true },
      schema: {
        tags: ['psa'],
        summary: 'Approve a to-do: a job writes it to the PSA (read back first, so never twice)',
        params: Params,
        body: Type.Optional(Type.Object({ comment: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false })),
        response: { 200: Type.Ref('PsaTodo') },
      },
    },
    async (request) => {
      const comment = request.body?.comment ?? null;
      return decide(request, request.params.id, { status: 'approved', reason: comment }, 'psa_todo.approve', comment, async (before, actor, trx) => {
        if (!before.planned_write) throw conflict('this to-do has no write the PSA can take (no agreement to add the product to): fix it in the PSA', 'id');
        if (before.requested_by && before.requested_by === actor) throw forbidden('the change behind this to-do was made with this key: another person must approve it');
        await enqueuePsaTodoWrite(trx, before);
      });
    },
  );

  r.post(
    '/v1/psa-todos/:id/dismiss',
    {
      config: { auth: { roles: [...deciders] } },
      schema: {
        tags: ['psa'],
        summary: 'Dismiss a to-do, saying why; nothing is written to the PSA',
        params: Params,
        body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'Why the difference is right or handled elsewhere' }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('PsaTodo') },
      },
    },
    async (request) => decide(request, request.params.id, { status: 'dismissed', reason: request.body.reason }, 'psa_todo.dismiss', request.body.reason),
  );
}
