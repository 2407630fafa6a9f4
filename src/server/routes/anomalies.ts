import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import type { HubContext } from '../../context.ts';
import { licenceThresholdsFrom, loadStoredThresholds, saveStoredThresholds, setAnomalyStatus, thresholdsFrom, type AnomalyRow, type StoredThresholds } from '../../db/anomalies.ts';
import { rolesFor } from '../../security/permissions.ts';
import { actorOf } from '../plugins/auth.ts';
import { conflict, notFound } from '../problem.ts';
import { PageQuery, decodeCursor, pageOf, paginate } from '../pagination.ts';
import { Nullable } from '../invoice-views.ts';
import { IsoDate, Timestamp, UnsignedDecimalString, Uuid, decimalStringsOnly } from '../wire-types.ts';

const Rule = Type.Enum(['spend_above_forecast', 'spend_velocity', 'unassigned_licences', 'low_utilisation'], {
  description:
    'spend_above_forecast: a day above 110 % (warning) or 120 % (critical) of the forecast; spend_velocity: a day above 5× the trailing 7-day average; ' +
    'unassigned_licences: seats of a SKU bought but unassigned for more than 30 days; low_utilisation: under 10 % of a SKU\'s seats assigned for 7 days',
});
const Status = Type.Enum(['open', 'acknowledged', 'resolved']);

export const Anomaly = Type.Object(
  {
    id: Uuid,
    customerId: Uuid,
    rule: Rule,
    subject: Type.String({ description: 'What it is about (the day)' }),
    severity: Type.Enum(['warning', 'critical']),
    status: Status,
    observedOn: IsoDate,
    amountAtStake: Type.String({ description: 'Spend above the forecast or the trailing average, in the billing currency, rounded to its minor unit' }),
    currency: Type.String(),
    message: Type.String(),
    evidence: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Null()]), { description: 'The figures the rule compared (spend, forecast and its source, window, percentages)' }),
    alertId: Nullable(Uuid),
    statusReason: Nullable(Type.String()),
    statusBy: Nullable(Type.String()),
    statusAt: Nullable(Timestamp),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'Anomaly' },
);

const Thresholds = Type.Object(
  {
    forecastWarningPercent: Type.String(),
    forecastCriticalPercent: Type.String(),
    velocityMultiple: Type.String(),
    trailingDays: Type.Integer(),
    velocityTrailingDays: Type.Integer(),
    minHistoryDays: Type.Integer(),
    unassignedDays: Type.Integer(),
    lowUtilisationPercent: Type.String(),
    lowUtilisationDays: Type.Integer(),
  },
  { $id: 'AnomalyThresholds' },
);

const ThresholdsInput = Type.Object(
  {
    forecastWarningPercent: Type.Optional(UnsignedDecimalString({ description: 'Default 110', examples: ['110'] })),
    forecastCriticalPercent: Type.Optional(UnsignedDecimalString({ description: 'Default 120', examples: ['120'] })),
    velocityMultiple: Type.Optional(UnsignedDecimalString({ description: 'Default 5', examples: ['5'] })),
    trailingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'Days the trailing forecast averages; default 14' })),
    velocityTrailingDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'Days the velocity rule averages; default 7' })),
    minHistoryDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60, description: 'History needed before a trailing average is trusted; default 7' })),
    unassignedDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Days seats may stay unassigned before the rule fires (it fires after more than this); default 30' })),
    lowUtilisationPercent: Type.Optional(UnsignedDecimalString({ description: 'Share of seats assigned under which a SKU is barely used; default 10', examples: ['10'] })),
    lowUtilisationDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: 'Days a SKU must stay under that share; default 7' })),
  },
  { additionalProperties: false, description: "The customer's own thresholds: a field left out takes the default" },
);

function toView(row: AnomalyRow): Static<typeof Anomaly> {
  return {
    id: row.id,
    customerId: row.customer_id,
    rule: row.rule as Static<typeof Rule>,
    subject: row.subject,
    severity: row.severity as 'warning' | 'critical',
    status: row.status as Static<typeof Status>,
    observedOn: String(row.observed_on),
    amountAtStake: row.amount_at_stake,
    currency: row.currency,
    message: row.message,
    evidence: row.evidence as Record<string, string | number | null>,
    alertId: row.alert_id,
    statusReason: row.status_reason,
    statusBy: row.status_by,
    statusAt: row.status_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function thresholdsView(stored: StoredThresholds | null): Static<typeof Thresholds> {
  const t = thresholdsFrom(stored);
  const l = licenceThresholdsFrom(stored);
  return {
    forecastWarningPercent: t.forecastWarningPercent.toString(),
    forecastCriticalPercent: t.forecastCriticalPercent.toString(),
    velocityMultiple: t.velocityMultiple.toString(),
    trailingDays: t.trailingDays,
    velocityTrailingDays: t.velocityTrailingDays,
    minHistoryDays: t.minHistoryDays,
    unassignedDays: l.unassignedDays,
    lowUtilisationPercent: l.lowUtilisationPercent.toString(),
    lowUtilisationDays: l.lowUtilisationDays,
  };
}

/** What the anomaly rules found, triaged by people; and each customer's thresholds. */
export function anomalyRoutes(app: FastifyInstance, ctx: HubContext): void {
  app.addSchema(Anomaly);
  app.addSchema(Thresholds);
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/v1/anomalies',
    {
      config: { auth: { roles: rolesFor('anomaly.read') } },
      schema: {
        tags: ['billing'],
        summary: 'Anomalies the rules found, newest first, with their evidence and the money at stake',
        querystring: Type.Object(
          { ...PageQuery, status: Type.Optional(Status), customerId: Type.Optional(Uuid), rule: Type.Optional(Rule) },
          { additionalProperties: false },
        ),
        response: { 200: pageOf(Type.Ref('Anomaly')) },
      },
    },
    async (request) => {
      const { limit = 50, cursor, status, customerId, rule } = request.query;
      const position = decodeCursor(cursor);
      let q = ctx.db.selectFrom('anomalies').selectAll();
      if (status) q = q.where('status', '=', status);
      if (customerId) q = q.where('customer_id', '=', customerId);
      if (rule) q = q.where('rule', '=', rule);
      if (position) q = q.where((eb) => eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(position.createdAt, position.id)));
      const page = paginate(await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute(), limit);
      return { items: page.rows.map(toView), nextCursor: page.nextCursor };
    },
  );

  for (const [verb, status] of [['acknowledge', 'acknowledged'], ['resolve', 'resolved']] as const) {
    r.post(
      `/v1/anomalies/:id/${verb}`,
      {
        config: { auth: { roles: rolesFor('anomaly.triage') } },
        schema: {
          tags: ['billing'],
          summary: verb === 'acknowledge' ? 'Acknowledge an anomaly (someone is on it), saying why' : 'Resolve an anomaly, saying how; its alert resolves too',
          params: Type.Object({ id: Uuid }),
          body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false }),
          response: { 200: Type.Ref('Anomaly') },
        },
      },
      async (request) => {
        const result = await ctx.db.transaction().execute((trx) => setAnomalyStatus(trx, request.params.id, status, request.body.reason.trim(), actorOf(request)));
        if (result === undefined) throw notFound('anomaly', request.params.id);
        if (result === 'already_resolved') throw conflict(`anomaly ${request.params.id} is already resolved`);
        return toView(result);
      },
    );
  }

  r.get(
    '/v1/customers/:id/anomaly-thresholds',
    {
      config: { auth: { roles: rolesFor('anomaly.read') } },
      schema: { tags: ['customers'], summary: "The anomaly rules' thresholds for this customer (its own, else the defaults)", params: Type.Object({ id: Uuid }), response: { 200: Type.Ref('AnomalyThresholds') } },
    },
    async (request) => {
      const customer = await ctx.db.selectFrom('customers').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!customer) throw notFound('customer', request.params.id);
      return thresholdsView(await loadStoredThresholds(ctx.db, customer.id));
    },
  );

  r.put(
    '/v1/customers/:id/anomaly-thresholds',
    {
      config: { auth: { roles: rolesFor('anomaly.thresholds.write') } },
      preValidation: decimalStringsOnly(ThresholdsInput),
      schema: {
        tags: ['customers'],
        summary: "Set this customer's anomaly thresholds (the whole value: a field left out takes the default)",
        params: Type.Object({ id: Uuid }),
        body: ThresholdsInput,
        response: { 200: Type.Ref('AnomalyThresholds') },
      },
    },
    async (request) => {
      const customer = await ctx.db.selectFrom('customers').select('id').where('id', '=', request.params.id).executeTakeFirst();
      if (!customer) throw notFound('customer', request.params.id);
      await ctx.db.transaction().execute((trx) => saveStoredThresholds(trx, customer.id, request.body, actorOf(request)));
      return thresholdsView(request.body);
    },
  );
}
