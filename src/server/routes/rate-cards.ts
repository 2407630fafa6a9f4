import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Selectable, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { recordDecision } from '../../db/approvals.ts';
import { writeAudit } from '../../db/audit.ts';
import {
  APPROVER_ROLES,
  RATE_CARD_ENTITY,
  cardView,
  checkTemplateCurrency,
  createCard,
  checkVersion,
  loadCard,
  loadVersion,
  requestVersion,
  type ProblemSink,
} from '../../db/rate-card-requests.ts';
import { PRICING_STATUSES, loadEffectiveRateCard, type EffectiveRateCard } from '../../db/rate-cards.ts';
import type { Database } from '../../db/types.ts';
import { CHARGE_CATEGORIES } from '../../engine/categories.ts';
import { addDays, todayIn } from '../../engine/dates.ts';
import type { ChargeCategory } from '../../engine/types.ts';
import { actorOf } from '../plugins/auth.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { ApiProblem, badRequest, conflict, forbidden, invalidFields, notFound, type FieldError } from '../problem.ts';
import { CurrencyCode, DecimalString, IsoDate, Justification, Timestamp, UnsignedDecimalString, Uuid, decimalStringsOnly } from '../wire-types.ts';

// Rate cards: versioned, effective-dated price rules per customer or template. A version
// is pending and prices nothing until a sales_ops key and a finance key — neither of them
// the key that requested it — approve it. See docs/billing.md, "Rate cards", for the decisions.

type ApproverRole = (typeof APPROVER_ROLES)[number];
const ENTITY = RATE_CARD_ENTITY;

const Category = Type.Enum(CHARGE_CATEGORIES as ChargeCategory[], { description: 'A charge category' });
const Status = Type.Enum(['pending', 'approved', 'rejected', 'superseded']);
const Basis = Type.Enum(['cost', 'list'], { description: "cost = Microsoft's billed cost; list = UnitPrice × quantity" });
const Rounding = Type.Object(
  { scope: Type.Enum(['line', 'invoice']), mode: Type.Enum(['half_up', 'half_even']) },
  { additionalProperties: false, description: 'Where and how prices round to the minor unit (default invoice, half_up)' },
);

const RuleMatch = Type.Object(
  {
    sku: Type.Optional(Type.String({ pattern: '^[^:]+:[^:]+$', maxLength: 200, description: "'ProductId:SkuId'", examples: ['DZH318Z0BQPS:00TF'] })),
    meterId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    category: Type.Optional(Category),
    default: Type.Optional(Type.Literal(true)),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'Exactly one of sku, meterId, category or default: true' },
);

const RuleInput = Type.Object(
  {
    match: RuleMatch,
    basis: Type.Optional(Basis),
    markupPercent: Type.Optional(DecimalString({ description: 'Markup in percent on the basis (with basis); -100 or more', examples: ['15'] })),
    unitPrice: Type.Optional(UnsignedDecimalString({ description: "Fixed price per unit in the card's currency (instead of a markup)", examples: ['36.00'] })),
  },
  { additionalProperties: false },
);

const versionInput = {
  currency: CurrencyCode,
  rounding: Type.Optional(Rounding),
  fx: Type.Optional(
    Type.Object(
      {
        source: Type.Enum(['microsoft', 'market', 'fixed']),
        rate: Type.Optional(UnsignedDecimalString({ description: 'With source fixed: units of the card currency per one `from`', examples: ['1.08'] })),
        from: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'With source fixed: the currency the rate converts from' })),
      },
      { additionalProperties: false, description: 'Currency conversion into the card currency (default microsoft)' },
    ),
  ),
  minimumMonthly: Type.Optional(UnsignedDecimalString({ description: "Minimum charge per month, whole minor units of the card's currency" })),
  targetMarginPercent: Type.Optional(DecimalString({ description: 'Target gross margin in percent (below 100)' })),
  effectiveFrom: Type.Optional(Type.String({ format: 'date', description: 'First day the version prices once approved (default today, billing time zone)' })),
  justification: Type.Optional(Justification),
  rules: Type.Array(RuleInput, { maxItems: 1000, description: "Price rules; a card inheriting from a template may have none of its own" }),
};
const CreateRateCard = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    customerId: Type.Optional(Uuid),
    template: Type.Optional(Type.Boolean({ description: 'A template belongs to no customer; customer cards inherit its rules' })),
    templateId: Type.Optional(Uuid),
    ...versionInput,
  },
  { additionalProperties: false },
);
const CreateVersion = Type.Object(versionInput, { additionalProperties: false });

const cardFields = {
  id: Uuid,
  name: Type.String(),
  customerId: Type.Union([Uuid, Type.Null()]),
  template: Type.Boolean(),
  templateId: Type.Union([Uuid, Type.Null()]),
};
const RuleOut = Type.Object({
  id: Uuid,
  position: Type.Integer(),
  match: RuleMatch,
  basis: Type.Union([Basis, Type.Null()]),
  markupPercent: Type.Union([Type.String(), Type.Null()]),
  unitPrice: Type.Union([Type.String(), Type.Null()]),
});
const DecisionOut = Type.Object({
  role: Type.String(),
  decision: Type.Enum(['approve', 'reject']),
  actor: Type.String({ description: 'key:<api key id>' }),
  comment: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
const versionFields = {
  versionId: Uuid,
  version: Type.Integer(),
  status: Status,
  effectiveFrom: Type.String({ format: 'date' }),
  effectiveTo: Type.Union([Type.String({ format: 'date' }), Type.Null()], { description: 'Last day priced (inclusive); null while no successor is approved' }),
  currency: Type.String(),
  rounding: Rounding,
  fx: Type.Object({ source: Type.String(), rate: Type.Union([Type.String(), Type.Null()]), from: Type.Union([Type.String(), Type.Null()]) }),
  minimumMonthly: Type.Union([Type.String(), Type.Null()]),
  targetMarginPercent: Type.Union([Type.String(), Type.Null()]),
  justification: Type.Union([Type.String(), Type.Null()]),
  requestedBy: Type.String(),
  requestedAt: Timestamp,
  decidedAt: Type.Union([Timestamp, Type.Null()], { description: 'When it was approved or rejected' }),
  rules: Type.Array(RuleOut),
  approvals: Type.Array(DecisionOut, { description: 'Approvals and the rejection, oldest first' }),
  awaiting: Type.Array(Type.Enum([...APPROVER_ROLES]), { description: 'Roles whose approval a pending version still needs' }),
};
const VersionView = Type.Object(versionFields);
type VersionView = Static<typeof VersionView>;

export const RateCardVersion = Type.Object({ ...cardFields, ...versionFields }, { $id: 'RateCardVersion' });
export const RateCard = Type.Object(
  { ...cardFields, createdBy: Type.String(), createdAt: Timestamp, updatedAt: Timestamp, versions: Type.Array(VersionView) },
  { $id: 'RateCard' },
);
export const RateCardSummary = Type.Object(
  {
    ...cardFields,
    createdAt: Timestamp,
    updatedAt: Timestamp,
    latestVersion: Type.Object({ version: Type.Integer(), status: Status }),
    activeVersion: Type.Union([Type.Integer(), Type.Null()], { description: 'The approved version pricing today, if any' }),
  },
  { $id: 'RateCardSummary' },
);
export const EffectiveRateCardView = Type.Object(
  {
    id: Uuid,
    version: Type.Integer(),
    versionId: Uuid,
    customerId: Type.Union([Uuid, Type.Null()]),
    currency: Type.String(),
    rounding: Rounding,
    fx: Type.Object({ source: Type.String() }),
    minimumMonthly: Type.Union([Type.String(), Type.Null()]),
    targetMarginPercent: Type.Union([Type.String(), Type.Null()]),
    effectiveFrom: Type.String({ format: 'date' }),
    effectiveTo: Type.Union([Type.String({ format: 'date' }), Type.Null()]),
    template: Type.Union([Type.Object({ id: Uuid, version: Type.Integer() }), Type.Null()]),
    rules: Type.Array(
      Type.Object({
        id: Uuid,
        match: RuleMatch,
        basis: Type.Union([Basis, Type.Null()]),
        markupPercent: Type.Union([Type.String(), Type.Null()]),
        unitPrice: Type.Union([Type.String(), Type.Null()]),
        inherited: Type.Boolean({ description: "true when the rule comes from the card's template" }),
      }),
    ),
  },
  { $id: 'EffectiveRateCard' },
);

type VersionRow = Selectable<Database['rate_card_versions']>;

/** Collects every problem of a request body, so one answer names all the fields to fix. */
class FieldProblems implements ProblemSink {
  readonly #errors: FieldError[] = [];
  add(field: string, reason: string): void {
    this.#errors.push({ field, reason });
  }
  throwIfAny(): void {
    if (this.#errors.length > 0) throw invalidFields(this.#errors);
  }
}

/** Which approver role this key's approval counts as (a key holding both counts once: see docs/billing.md). */
function approvalRole(request: FastifyRequest, asked: ApproverRole | undefined, approved: Set<string>): ApproverRole {
  const held = APPROVER_ROLES.filter((role) => request.principal!.roles.includes(role));
  if (asked !== undefined) {
    if (!held.includes(asked)) throw forbidden(`this key does not hold the ${asked} role`);
    if (approved.has(asked)) throw conflict(`${asked} has already approved this version: it needs one approval per role`, 'role');
    return asked;
  }
  const open = held.find((role) => !approved.has(role));
  if (!open) throw conflict(`${held.join(' and ')} already approved this version: it needs one approval per role`, 'role');
  return open;
}

export function rateCardRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const staff = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'] as const;
  const writers = ['admin', 'finance', 'sales_ops'] as const;
  const Params = Type.Object({ id: Uuid });
  const VersionParams = Type.Object({ id: Uuid, v: Type.Integer({ minimum: 1 }) });
  const today = () => todayIn(ctx.config.billingTimeZone);

  r.post(
    '/v1/rate-cards',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      preValidation: decimalStringsOnly(CreateRateCard),
      schema: {
        tags: ['rate-cards'],
        summary: 'Create a rate card (a customer card or a template) with its first version, pending approval',
        body: CreateRateCard,
        response: { 201: Type.Ref('RateCardVersion') },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const day = today();
      const created = await ctx.db.transaction().execute(async (trx) => {
        const problems = new FieldProblems();
        if (b.template) {
          if (b.customerId !== undefined) problems.add('customerId', 'a template belongs to no customer');
          if (b.templateId !== undefined) problems.add('templateId', 'a template does not inherit from another template');
        } else if (b.customerId === undefined) {
          problems.add('customerId', 'is required unless template is true');
        } else if (!(await trx.selectFrom('customers').select('id').where('id', '=', b.customerId).executeTakeFirst())) {
          problems.add('customerId', `no customer ${b.customerId}`);
        }
        if (b.templateId !== undefined && !b.template) {
          const template = await trx.selectFrom('rate_cards').select(['is_template']).where('id', '=', b.templateId).executeTakeFirst();
          if (!template?.is_template) problems.add('templateId', `no template rate card ${b.templateId}`);
          else await checkTemplateCurrency(trx, b.templateId, b.currency, problems, day);
        }
        checkVersion(b, problems, { inherits: b.templateId !== undefined && !b.template });
        problems.throwIfAny();
        if (b.customerId !== undefined) {
          const existing = await trx.selectFrom('rate_cards').select('id').where('customer_id', '=', b.customerId).executeTakeFirst();
          if (existing) throw conflict(`customer ${b.customerId} already has rate card ${existing.id}: request a new version of it`, 'customerId');
        }
        const card = await createCard(trx, { name: b.name, customerId: b.customerId ?? null, template: b.template ?? false, templateId: b.templateId ?? null }, actorOf(request));
        return requestVersion(trx, card, b, actorOf(request), day);
      });
      return reply.code(201).send(created);
    },
  );

  r.get(
    '/v1/rate-cards',
    {
      config: { auth: { roles: [...staff] } },
      schema: {
        tags: ['rate-cards'],
        summary: 'List rate cards, newest first',
        querystring: Type.Object(
          {
            ...PageQuery,
            customerId: Type.Optional(Uuid),
            template: Type.Optional(Type.Boolean({ description: 'true: templates only; false: customer cards only' })),
            pending: Type.Optional(Type.Boolean({ description: 'true: only cards with a version awaiting approval' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('RateCardSummary')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, customerId, template, pending } = request.query;
      const position = decodeCursor(cursor);
      let query = ctx.db.selectFrom('rate_cards').selectAll();
      if (customerId) query = query.where('customer_id', '=', customerId);
      if (template !== undefined) query = query.where('is_template', '=', template);
      if (pending) {
        query = query.where((eb) =>
          eb.exists(eb.selectFrom('rate_card_versions as v').select('v.id').whereRef('v.rate_card_id', '=', 'rate_cards.id').where('v.status', '=', 'pending')),
        );
      }
      if (position) query = query.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      const ids = page.rows.map((c) => c.id);
      const versions = ids.length
        ? await ctx.db.selectFrom('rate_card_versions').select(['rate_card_id', 'version', 'status']).where('rate_card_id', 'in', ids).orderBy('version').execute()
        : [];
      const active = ids.length
        ? await ctx.db
            .selectFrom('rate_card_versions')
            .select(['rate_card_id', 'version'])
            .distinctOn('rate_card_id')
            .where('rate_card_id', 'in', ids)
            .where('status', 'in', [...PRICING_STATUSES])
            .where('effective_from', '<=', today())
            .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>=', today())]))
            .orderBy('rate_card_id')
            .orderBy('effective_from', 'desc')
            .orderBy('version', 'desc')
            .execute()
        : [];
      const items = page.rows.map((card) => {
        const own = versions.filter((v) => v.rate_card_id === card.id);
        const latest = own[own.length - 1]!;
        return {
          ...cardView(card),
          createdAt: card.created_at.toISOString(),
          updatedAt: card.updated_at.toISOString(),
          latestVersion: { version: latest.version, status: latest.status as VersionView['status'] },
          activeVersion: active.find((a) => a.rate_card_id === card.id)?.version ?? null,
        };
      });
      return { items, nextCursor: page.nextCursor };
    },
  );

  r.get(
    '/v1/rate-cards/:id',
    {
      config: { auth: { roles: [...staff] } },
      schema: { tags: ['rate-cards'], summary: 'A rate card with every version, its rules and its approval state', params: Params, response: { 200: Type.Ref('RateCard') } },
    },
    async (request) => {
      const loaded = await loadCard(ctx.db, request.params.id);
      if (!loaded) throw notFound('rate card', request.params.id);
      const { card, versions } = loaded;
      return { ...cardView(card), createdBy: card.created_by, createdAt: card.created_at.toISOString(), updatedAt: card.updated_at.toISOString(), versions };
    },
  );

  r.post(
    '/v1/rate-cards/:id/versions',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      preValidation: decimalStringsOnly(CreateVersion),
      schema: {
        tags: ['rate-cards'],
        summary: 'Request a new version of a rate card; it is pending until approved',
        params: Params,
        body: CreateVersion,
        response: { 201: Type.Ref('RateCardVersion') },
      },
    },
    async (request, reply) => {
      const day = today();
      const created = await ctx.db.transaction().execute(async (trx) => {
        // The lock serialises version numbers per card.
        const card = await trx.selectFrom('rate_cards').selectAll().where('id', '=', request.params.id).forUpdate().executeTakeFirst();
        if (!card) throw notFound('rate card', request.params.id);
        const problems = new FieldProblems();
        if (card.template_id) await checkTemplateCurrency(trx, card.template_id, request.body.currency, problems, day);
        checkVersion(request.body, problems, { inherits: card.template_id !== null });
        problems.throwIfAny();
        return requestVersion(trx, card, request.body, actorOf(request), day);
      });
      return reply.code(201).send(created);
    },
  );

  r.get(
    '/v1/rate-cards/:id/versions/:v',
    {
      config: { auth: { roles: [...staff] } },
      schema: { tags: ['rate-cards'], summary: 'One version of a rate card with its rules and approvals', params: VersionParams, response: { 200: Type.Ref('RateCardVersion') } },
    },
    async (request) => {
      const found = await loadVersion(ctx.db, request.params.id, request.params.v);
      if (!found) throw notFound('rate card version', `${request.params.id} v${request.params.v}`);
      return found;
    },
  );

  /** Lock a version for a decision; only a pending version takes one. */
  async function pendingVersion(trx: Transaction<Database>, cardId: string, version: number, verb: string): Promise<VersionRow> {
    const row = await trx
      .selectFrom('rate_card_versions')
      .selectAll()
      .where('rate_card_id', '=', cardId)
      .where('version', '=', version)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw notFound('rate card version', `${cardId} v${version}`);
    if (row.status !== 'pending') throw conflict(`version ${version} is ${row.status}: only a pending version can be ${verb}`);
    return row;
  }

  r.post(
    '/v1/rate-cards/:id/versions/:v/approve',
    {
      config: { auth: { roles: [...APPROVER_ROLES] }, idempotent: true },
      schema: {
        tags: ['rate-cards'],
        summary: 'Approve a pending version (one sales_ops and one finance approval, neither by the requester, activate it)',
        params: VersionParams,
        body: Type.Object(
          {
            comment: Type.Optional(Type.String({ maxLength: 2000 })),
            role: Type.Optional(Type.Enum([...APPROVER_ROLES], { description: 'For a key holding both roles: which approval this is (default: the one still missing)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Ref('RateCardVersion') },
      },
    },
    async (request) => {
      const { id, v } = request.params;
      const actor = actorOf(request);
      return ctx.db.transaction().execute(async (trx) => {
        const row = await pendingVersion(trx, id, v, 'approved');
        if (row.requested_by === actor.actor) throw forbidden('the key that requested a version cannot approve it');
        const before = (await loadVersion(trx, id, v))!;
        const approvals = before.approvals.filter((d) => d.decision === 'approve');
        if (approvals.some((d) => d.actor === actor.actor)) {
          throw conflict(`this key already approved version ${v}: the other approval must come from another key`, 'role');
        }
        const role = approvalRole(request, request.body.role, new Set(approvals.map((d) => d.role)));
        const comment = request.body.comment?.trim() || null;
        await recordDecision(trx, { entity: ENTITY, entityId: id, version: v, role, decision: 'approve', apiKeyId: request.principal!.keyId, comment });
        const approved = (await loadVersion(trx, id, v))!;
        await writeAudit(trx, { ...actor, action: 'rate_card.version.approve', entity: ENTITY, entityId: id, before, after: approved, justification: comment });
        if (approved.awaiting.length > 0) return approved;
        return activate(trx, row, approved, request);
      });
    },
  );

  /**
   * The second approval: the version becomes approved and, from its effective date on,
   * replaces every version approved before it. A version starting earlier ends the day
   * before; one starting on or after that date is superseded before it ever prices.
   */
  async function activate(trx: Transaction<Database>, row: VersionRow, approved: Static<typeof RateCardVersion>, request: FastifyRequest) {
    const from = row.effective_from;
    const replaced = await trx
      .selectFrom('rate_card_versions')
      .select(['version', 'status', 'effective_from', 'effective_to'])
      .where('rate_card_id', '=', row.rate_card_id)
      .where('id', '<>', row.id)
      .where('status', 'in', ['approved', 'superseded'])
      .where((eb) => eb.or([eb('effective_to', 'is', null), eb.and([eb('effective_to', '>=', from), eb('effective_to', '>=', eb.ref('effective_from'))])]))
      .orderBy('version')
      .forUpdate()
      .execute();
    const shortened = replaced.map((old) => ({
      version: old.version,
      before: { status: old.status, effectiveFrom: old.effective_from, effectiveTo: old.effective_to },
      after: { status: 'superseded', effectiveFrom: old.effective_from, effectiveTo: addDays(old.effective_from < from ? from : old.effective_from, -1) },
    }));
    for (const change of shortened) {
      await trx
        .updateTable('rate_card_versions')
        .set({ status: 'superseded', effective_to: change.after.effectiveTo })
        .where('rate_card_id', '=', row.rate_card_id)
        .where('version', '=', change.version)
        .execute();
    }
    await trx.updateTable('rate_card_versions').set({ status: 'approved', decided_at: new Date() }).where('id', '=', row.id).execute();
    const after = (await loadVersion(trx, row.rate_card_id, row.version))!;
    await writeAudit(trx, {
      ...actorOf(request),
      action: 'rate_card.version.activate',
      entity: ENTITY,
      entityId: row.rate_card_id,
      before: { version: approved, superseded: shortened.map((c) => ({ version: c.version, ...c.before })) },
      after: { version: after, superseded: shortened.map((c) => ({ version: c.version, ...c.after })) },
    });
    return after;
  }

  r.post(
    '/v1/rate-cards/:id/versions/:v/reject',
    {
      config: { auth: { roles: [...APPROVER_ROLES, 'admin'] }, idempotent: true },
      schema: {
        tags: ['rate-cards'],
        summary: 'Reject a pending version with a reason; it will never price',
        params: VersionParams,
        body: Type.Object({ reason: Type.String({ maxLength: 2000, description: 'Required: why the version is refused' }) }, { additionalProperties: false }),
        response: { 200: Type.Ref('RateCardVersion') },
      },
    },
    async (request) => {
      const { id, v } = request.params;
      const reason = request.body.reason.trim();
      if (reason === '') throw badRequest('reason', 'must say why the version is refused');
      const actor = actorOf(request);
      return ctx.db.transaction().execute(async (trx) => {
        await pendingVersion(trx, id, v, 'rejected');
        const before = (await loadVersion(trx, id, v))!;
        const role = (['sales_ops', 'finance', 'admin'] as const).find((r) => request.principal!.roles.includes(r))!;
        await recordDecision(trx, { entity: ENTITY, entityId: id, version: v, role, decision: 'reject', apiKeyId: request.principal!.keyId, comment: reason });
        await trx
          .updateTable('rate_card_versions')
          .set({ status: 'rejected', decided_at: new Date() })
          .where('rate_card_id', '=', id)
          .where('version', '=', v)
          .execute();
        const after = (await loadVersion(trx, id, v))!;
        await writeAudit(trx, { ...actor, action: 'rate_card.version.reject', entity: ENTITY, entityId: id, before, after, justification: reason });
        return after;
      });
    },
  );

  r.get(
    '/v1/customers/:id/rate-card',
    {
      // Staff only: markups and the target margin are the MSP's, not the client's, to see.
      config: { auth: { roles: [...staff] } },
      schema: {
        tags: ['rate-cards'],
        summary: "The customer's approved rate card as it prices a day, template rules merged in",
        params: Params,
        querystring: Type.Object({ date: Type.Optional(IsoDate) }, { additionalProperties: false }),
        response: { 200: Type.Ref('EffectiveRateCard') },
      },
    },
    async (request) => {
      const customer = await ctx.db.selectFrom('customers').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!customer) throw notFound('customer', request.params.id);
      const date = request.query.date ?? today();
      const card = await loadEffectiveRateCard(ctx.db, request.params.id, date);
      if (!card) throw new ApiProblem(404, 'not-found', 'Not found', `customer ${request.params.id} has no approved rate card effective on ${date}`);
      return effectiveView(card);
    },
  );
}

function effectiveView(card: EffectiveRateCard): Static<typeof EffectiveRateCardView> {
  const inherited = new Set(card.template?.ruleIds ?? []);
  return {
    id: card.id,
    version: card.version,
    versionId: card.versionId,
    customerId: card.customerId,
    currency: card.currency,
    rounding: card.rounding,
    fx: { source: card.fx.source },
    minimumMonthly: card.minimumMonthly?.toString() ?? null,
    targetMarginPercent: card.targetMarginPercent?.toString() ?? null,
    effectiveFrom: card.effectiveFrom,
    effectiveTo: card.effectiveTo,
    template: card.template ? { id: card.template.id, version: card.template.version } : null,
    rules: card.rules.map((rule) => ({
      id: rule.id,
      match: rule.match,
      basis: rule.basis ?? null,
      markupPercent: rule.markupPercent?.toString() ?? null,
      unitPrice: rule.unitPrice?.toString() ?? null,
      inherited: inherited.has(rule.id),
    })),
  };
}
