import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Kysely, Transaction } from 'kysely';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import {
  allocationMatchOf,
  currentAllocationRules,
  splitsOf,
  type AllocationRuleVersionRow,
  type AllocationSplitRow,
} from '../../db/allocation-rules.ts';
import { writeAudit } from '../../db/audit.ts';
import type { Database } from '../../db/types.ts';
import { Decimal, HUNDRED, sum } from '../../engine/decimal.ts';
import { actorOf } from '../plugins/auth.ts';
import { badRequest, conflict, invalidFields, notFound, type FieldError } from '../problem.ts';
import { IsoDate, Justification, Timestamp, UnsignedDecimalString, Uuid, decimalStringsOnly } from '../wire-types.ts';
import { todayIn } from '../../engine/dates.ts';

// Allocation rules send a customer's cost to its cost nodes by tag, resource group,
// subscription or meter category, split by percentages that sum to exactly 100. Every
// change is a new version with its justification; history is never rewritten.

const Match = Type.Object(
  {
    tag: Type.Optional(
      Type.Object(
        {
          key: Type.String({ minLength: 1, maxLength: 512 }),
          value: Type.Optional(Type.String({ maxLength: 256, description: 'Omit to match any non-blank value' })),
        },
        { additionalProperties: false },
      ),
    ),
    resourceGroup: Type.Optional(Type.String({ minLength: 1, maxLength: 90 })),
    subscriptionId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    meterCategory: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'Exactly one of tag, resourceGroup, subscriptionId or meterCategory' },
);
const Split = Type.Object(
  { costNodeId: Uuid, percent: UnsignedDecimalString({ description: 'Percent of the line; the splits sum to exactly 100', examples: ['60'] }) },
  { additionalProperties: false },
);
const ruleInput = {
  priority: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Lower is tried first; ties by rule id' }),
  match: Match,
  splits: Type.Array(Split, { minItems: 1, maxItems: 100 }),
  justification: Justification,
  effectiveFrom: Type.Optional(Type.String({ format: 'date', description: 'First day the version applies (default today, billing time zone)' })),
};
const RuleInput = Type.Object(ruleInput, { additionalProperties: false });
const RetireInput = Type.Object(
  { justification: Justification, effectiveFrom: Type.Optional(Type.String({ format: 'date', description: 'First day the rule no longer applies (default today)' })) },
  { additionalProperties: false },
);

export const AllocationRuleSchema = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    version: Type.Integer(),
    versionId: Uuid,
    status: Type.Enum(['active', 'retired']),
    priority: Type.Integer(),
    match: Match,
    splits: Type.Array(Type.Object({ costNodeId: Uuid, percent: Type.String() })),
    effectiveFrom: Type.String({ format: 'date' }),
    justification: Type.String(),
    createdBy: Type.String(),
    createdAt: Timestamp,
  },
  { $id: 'AllocationRule' },
);
type RuleView = Static<typeof AllocationRuleSchema>;

function toView(version: AllocationRuleVersionRow, splits: AllocationSplitRow[]): RuleView {
  return {
    id: version.allocation_rule_id,
    customerId: version.customer_id,
    version: version.version,
    versionId: version.id,
    status: version.status as RuleView['status'],
    priority: version.priority,
    match: allocationMatchOf(version),
    splits: splits.map((s) => ({ costNodeId: s.cost_node_id, percent: s.percent })),
    effectiveFrom: version.effective_from,
    justification: version.justification,
    createdBy: version.created_by,
    createdAt: version.created_at.toISOString(),
  };
}

/** Every version of one rule of this customer, oldest first; undefined when the customer has no such rule. */
async function ruleHistory(db: Kysely<Database>, customerId: string, ruleId: string): Promise<RuleView[] | undefined> {
  const versions = await db
    .selectFrom('allocation_rule_versions as v')
    .innerJoin('allocation_rules as r', 'r.id', 'v.allocation_rule_id')
    .selectAll('v')
    .select('r.customer_id')
    .where('r.id', '=', ruleId)
    .where('r.customer_id', '=', customerId)
    .orderBy('v.version')
    .execute();
  if (versions.length === 0) return undefined;
  const splits = await splitsOf(db, versions.map((v) => v.id));
  return versions.map((v) => toView(v, splits.filter((s) => s.allocation_rule_version_id === v.id)));
}

async function assertCustomer(db: Kysely<Database>, customerId: string): Promise<void> {
  const found = await db.selectFrom('customers').select('id').where('id', '=', customerId).executeTakeFirst();
  if (!found) throw notFound('customer', customerId);
}

/** What the schema cannot say: a real reason, splits of this customer's nodes that sum to exactly 100. */
async function checkRule(trx: Transaction<Database>, customerId: string, input: Static<typeof RuleInput>): Promise<void> {
  const errors: FieldError[] = [];
  if (input.justification.trim() === '') errors.push({ field: 'justification', reason: 'must say why' });
  if (input.match.tag && input.match.tag.key.trim() === '') errors.push({ field: 'match.tag.key', reason: 'must not be blank' });
  const nodes = await trx
    .selectFrom('cost_nodes')
    .select('id')
    .where('customer_id', '=', customerId)
    .where('id', 'in', input.splits.map((s) => s.costNodeId))
    .execute();
  const known = new Set(nodes.map((n) => n.id));
  const seen = new Set<string>();
  input.splits.forEach((split, i) => {
    if (new Decimal(split.percent).isZero()) errors.push({ field: `splits.${i}.percent`, reason: 'must be more than 0' });
    if (!known.has(split.costNodeId)) errors.push({ field: `splits.${i}.costNodeId`, reason: `no cost node ${split.costNodeId} in this customer's tree` });
    if (seen.has(split.costNodeId)) errors.push({ field: `splits.${i}.costNodeId`, reason: 'splits to the same node twice' });
    seen.add(split.costNodeId);
  });
  const total = sum(input.splits.map((s) => new Decimal(s.percent)));
  if (!total.equals(HUNDRED)) errors.push({ field: 'splits', reason: `the percentages sum to ${total.toString()}, not exactly 100` });
  if (errors.length > 0) {
    throw invalidFields(errors);
  }
}

interface VersionValues {
  status: 'active' | 'retired';
  priority: number;
  match: Static<typeof Match>;
  splits: { costNodeId: string; percent: string }[];
  justification: string;
  effectiveFrom: string;
}

async function insertVersion(trx: Transaction<Database>, ruleId: string, version: number, values: VersionValues, createdBy: string): Promise<void> {
  const m = values.match;
  const [kind, value, tagValue] = m.tag
    ? ['tag', m.tag.key.trim(), m.tag.value ?? null]
    : m.resourceGroup !== undefined
      ? ['resourceGroup', m.resourceGroup, null]
      : m.subscriptionId !== undefined
        ? ['subscriptionId', m.subscriptionId, null]
        : ['meterCategory', m.meterCategory!, null];
  const row = await trx
    .insertInto('allocation_rule_versions')
    .values({
      allocation_rule_id: ruleId,
      version,
      status: values.status,
      priority: values.priority,
      match_kind: kind,
      match_value: value,
      match_tag_value: tagValue,
      effective_from: values.effectiveFrom,
      justification: values.justification.trim(),
      created_by: createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('allocation_rule_splits')
    .values(values.splits.map((s, position) => ({ allocation_rule_version_id: row.id, position, cost_node_id: s.costNodeId, percent: s.percent })))
    .execute();
}

export function allocationRuleRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const readers = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal'] as const;
  const writers = ['billing_ops', 'finance', 'admin'] as const;
  const Params = Type.Object({ id: Uuid });
  const RuleParams = Type.Object({ id: Uuid, ruleId: Uuid });
  const today = () => todayIn(ctx.config.billingTimeZone);

  /** Lock the rule, check it is this customer's and still active, and return its newest version. */
  async function lockedLatest(trx: Transaction<Database>, customerId: string, ruleId: string): Promise<RuleView> {
    const rule = await trx.selectFrom('allocation_rules').select('id').where('id', '=', ruleId).where('customer_id', '=', customerId).forUpdate().executeTakeFirst();
    if (!rule) throw notFound('allocation rule', ruleId);
    const history = (await ruleHistory(trx, customerId, ruleId))!;
    const latest = history[history.length - 1]!;
    if (latest.status === 'retired') throw conflict(`allocation rule ${ruleId} is retired: create a new rule instead`);
    return latest;
  }

  async function changeRule(
    request: FastifyRequest,
    customerId: string,
    ruleId: string,
    action: string,
    build: (latest: RuleView) => VersionValues,
    check: (trx: Transaction<Database>) => Promise<void>,
  ) {
    return ctx.db.transaction().execute(async (trx) => {
      const before = await lockedLatest(trx, customerId, ruleId);
      await check(trx);
      const values = build(before);
      await insertVersion(trx, ruleId, before.version + 1, values, actorOf(request).actor);
      const history = (await ruleHistory(trx, customerId, ruleId))!;
      const after = history[history.length - 1]!;
      await writeAudit(trx, { ...actorOf(request), action, entity: 'allocation_rule', entityId: ruleId, before, after, justification: after.justification });
      return after;
    });
  }

  r.get(
    '/v1/customers/:id/allocation-rules',
    {
      config: { auth: { roles: [...readers], customerParam: 'id' } },
      schema: {
        tags: ['customers'],
        summary: "The customer's allocation rules in the order they are tried",
        params: Params,
        querystring: Type.Object(
          {
            date: Type.Optional(IsoDate),
            includeRetired: Type.Optional(Type.Boolean({ default: false })),
          },
          { additionalProperties: false, description: 'date: the rules as they apply that day (default: each rule at its newest version)' },
        ),
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('AllocationRule')) }) },
      },
    },
    async (request) => {
      await assertCustomer(ctx.db, request.params.id);
      const stored = await currentAllocationRules(ctx.db, request.params.id, {
        ...(request.query.date !== undefined ? { date: request.query.date } : {}),
        includeRetired: request.query.includeRetired ?? false,
      });
      return { items: stored.map((s) => toView(s.version, s.splits)) };
    },
  );

  r.post(
    '/v1/customers/:id/allocation-rules',
    {
      config: { auth: { roles: [...writers] }, idempotent: true },
      preValidation: decimalStringsOnly(RuleInput),
      schema: { tags: ['customers'], summary: 'Add an allocation rule (version 1)', params: Params, body: RuleInput, response: { 201: Type.Ref('AllocationRule') } },
    },
    async (request, reply) => {
      const customerId = request.params.id;
      const b = request.body;
      const created = await ctx.db.transaction().execute(async (trx) => {
        await assertCustomer(trx, customerId);
        await checkRule(trx, customerId, b);
        const rule = await trx
          .insertInto('allocation_rules')
          .values({ customer_id: customerId, created_by: actorOf(request).actor })
          .returning('id')
          .executeTakeFirstOrThrow();
        await insertVersion(trx, rule.id, 1, { ...b, status: 'active', effectiveFrom: b.effectiveFrom ?? today() }, actorOf(request).actor);
        const after = (await ruleHistory(trx, customerId, rule.id))![0]!;
        await writeAudit(trx, {
          ...actorOf(request),
          action: 'allocation_rule.create',
          entity: 'allocation_rule',
          entityId: rule.id,
          after,
          justification: after.justification,
        });
        return after;
      });
      return reply.code(201).send(created);
    },
  );

  r.put(
    '/v1/customers/:id/allocation-rules/:ruleId',
    {
      config: { auth: { roles: [...writers] } },
      preValidation: decimalStringsOnly(RuleInput),
      schema: {
        tags: ['customers'],
        summary: 'Change an allocation rule: a new version, with its justification',
        params: RuleParams,
        body: RuleInput,
        response: { 200: Type.Ref('AllocationRule') },
      },
    },
    async (request) => {
      const { id: customerId, ruleId } = request.params;
      const b = request.body;
      return changeRule(
        request,
        customerId,
        ruleId,
        'allocation_rule.update',
        () => ({ ...b, status: 'active', effectiveFrom: b.effectiveFrom ?? today() }),
        (trx) => checkRule(trx, customerId, b),
      );
    },
  );

  r.delete(
    '/v1/customers/:id/allocation-rules/:ruleId',
    {
      config: { auth: { roles: [...writers] } },
      schema: {
        tags: ['customers'],
        summary: 'Retire an allocation rule: a last version marked retired, with its justification',
        params: RuleParams,
        body: RetireInput,
        response: { 200: Type.Ref('AllocationRule') },
      },
    },
    async (request) => {
      const { id: customerId, ruleId } = request.params;
      const { justification, effectiveFrom } = request.body;
      return changeRule(
        request,
        customerId,
        ruleId,
        'allocation_rule.retire',
        (latest) => ({ status: 'retired', priority: latest.priority, match: latest.match, splits: latest.splits, justification, effectiveFrom: effectiveFrom ?? today() }),
        async () => {
          if (justification.trim() === '') {
            throw badRequest('justification', 'must say why');
          }
        },
      );
    },
  );

  r.get(
    '/v1/customers/:id/allocation-rules/:ruleId/versions',
    {
      config: { auth: { roles: [...readers], customerParam: 'id' } },
      schema: {
        tags: ['customers'],
        summary: 'Every version of an allocation rule, oldest first',
        params: RuleParams,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('AllocationRule')) }) },
      },
    },
    async (request) => {
      const history = await ruleHistory(ctx.db, request.params.id, request.params.ruleId);
      if (!history) throw notFound('allocation rule', request.params.ruleId);
      return { items: history };
    },
  );
}
