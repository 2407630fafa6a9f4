import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { HubContext } from '../../context.ts';
import { prometheusText } from '../../metrics/exposition.ts';
import { flushedCounts, PROCESS_ID } from '../../metrics/counter-flush.ts';
import { loadHealthFigures } from '../../metrics/health-figures.ts';
import { vendorCallSummary, webhookIntake, webhookResult } from '../../metrics/process-metrics.ts';
import type { Role } from '../../security/api-keys.ts';

const WEBHOOK_ROUTE = '/webhooks/:provider';
const ROLES: Role[] = ['admin', 'auditor', 'billing_ops', 'finance'];

const Nullable = <T extends Type.TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Decimal = Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: 'Decimal string' });

const HealthMetrics = Type.Object({
  measuredAt: Type.String({ format: 'date-time' }),
  syncLag: Type.Array(
    Type.Object({
      connectionId: Type.String({ format: 'uuid' }),
      provider: Type.String(),
      name: Type.String(),
      lastSyncedAt: Nullable(Type.String({ format: 'date-time' })),
      lagSeconds: Nullable(Type.Integer({ description: 'Seconds since the latest finished (succeeded or partial) sync; null when none has finished' })),
    }),
  ),
  tagCompliance: Type.Array(
    Type.Object({ billingRunId: Type.String({ format: 'uuid' }), period: Type.String(), currency: Type.String(), totalCost: Decimal, compliantCost: Decimal, share: Nullable(Decimal) }),
    { description: 'The latest finished billing run, per billing currency' },
  ),
  jobs: Type.Array(
    Type.Object({ task: Type.String(), queued: Type.Integer(), running: Type.Integer(), retrying: Type.Integer(), failed: Type.Integer({ description: 'Out of attempts' }) }),
  ),
  marginPeriod: Nullable(Type.String({ description: 'The latest period with issued invoices' })),
  marginVariance: Type.Array(
    Type.Object({
      group: Type.String({ description: "The template of the customers' rate cards, or (own card)" }),
      currency: Type.String(),
      invoices: Type.Integer(),
      price: Decimal,
      margin: Decimal,
      marginPercent: Nullable(Decimal),
      targetMarginPercent: Nullable(Decimal),
      deviationPoints: Nullable(Decimal),
    }),
  ),
  vendorCalls: Type.Array(
    Type.Object({ vendor: Type.String(), call: Type.String(), attempts: Type.Integer(), succeeded: Type.Integer(), successRate: Nullable(Type.Number({ minimum: 0, maximum: 1 })) }),
    { description: 'Counted by the answering process since it started, plus the totals every worker process flushed to the database' },
  ),
  webhookIntake: Type.Array(Type.Object({ provider: Type.String(), result: Type.String(), count: Type.Integer() }), {
    description: 'Counted by the answering process since it started',
  }),
  invoiceDelivery: Type.Object(
    { pending: Type.Integer(), sent: Type.Integer(), bounced: Type.Integer(), failed: Type.Integer(), successRatio: Nullable(Decimal) },
    { description: 'Invoice e-mails asked for in the last 30 days; successRatio = sent ÷ (sent + bounced + failed)' },
  ),
});

/** Counts every answer of the webhook route by provider and result; unknown providers count as one label. */
export function registerWebhookIntakeMetrics(app: FastifyInstance, ctx: HubContext): void {
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url !== WEBHOOK_ROUTE) return;
    const name = (request.params as { provider?: string }).provider ?? '';
    webhookIntake.inc({ provider: ctx.webhookProviders.has(name) ? name : 'unknown', result: webhookResult(reply.statusCode) });
  });
}

export function metricsRoutes(app: FastifyInstance, ctx: HubContext): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/metrics',
    {
      config: { auth: { roles: ROLES } },
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (text exposition format), names prefixed hub_',
        description:
          "Node's process metrics and this process's vendor call and webhook counters, plus figures read from the database at each scrape: " +
          'sync lag per connection, tag compliance, jobs by task and state, margin deviation per customer group. Scrape with a bearer key.',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await prometheusText(await loadHealthFigures(ctx.db), await flushedCounts(ctx.db, PROCESS_ID));
      return reply.type(contentType).send(body);
    },
  );

  r.get(
    '/v1/health-metrics',
    {
      config: { auth: { roles: ROLES } },
      schema: { tags: ['system'], summary: 'The figures behind /metrics, as JSON', response: { 200: HealthMetrics } },
    },
    async () => {
      const intake = await webhookIntake.get();
      return {
        ...(await loadHealthFigures(ctx.db)),
        vendorCalls: await vendorCallSummary(await flushedCounts(ctx.db, PROCESS_ID)),
        webhookIntake: intake.values.map((v) => ({ provider: String(v.labels.provider), result: String(v.labels.result), count: v.value })),
      };
    },
  );
}
