import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { HubContext } from '../context.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { registerIdempotency } from './plugins/idempotency.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { lazySerializers, textCoercingValidators } from './validators.ts';
import { allocationRuleRoutes, AllocationRuleSchema } from './routes/allocation-rules.ts';
import { auditRoutes } from './routes/audit.ts';
import { billingRunRoutes } from './routes/billing-runs.ts';
import { invoiceRoutes } from './routes/invoices.ts';
import { portalInvoiceRoutes } from './routes/portal-invoices.ts';
import { reportRoutes } from './routes/reports.ts';
import { settingsRoutes } from './routes/settings.ts';
import { chargeCategoryRoutes, ChargeCategoryMapping } from './routes/charge-categories.ts';
import { connectionRoutes, Connection } from './routes/connections.ts';
import { costNodeRoutes, CostNode } from './routes/cost-nodes.ts';
import { customerRoutes, Customer } from './routes/customers.ts';
import { fxRateRoutes, FxRate } from './routes/fx-rates.ts';
import { healthRoutes } from './routes/health.ts';
import { importRoutes } from './routes/imports.ts';
import { lateUsageRoutes } from './routes/late-usage.ts';
import { metricsRoutes, registerWebhookIntakeMetrics } from './routes/metrics.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { quoteExceptionRoutes, QuoteException } from './routes/quote-exceptions.ts';
import { quoteVarianceRoutes, QuoteVarianceRow } from './routes/quote-variance.ts';
import { rateCardRoutes, EffectiveRateCardView, RateCard, RateCardSummary, RateCardVersion } from './routes/rate-cards.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { syncRunRoutes, SyncRun } from './routes/sync-runs.ts';
import { revenueScheduleRoutes } from './routes/revenue-schedules.ts';
import { accountingMappingRoutes } from './routes/accounting-mappings.ts';
import { invoiceAdjustmentRoutes } from './routes/invoice-adjustments.ts';
import { invoiceDeliveryRoutes } from './routes/invoice-deliveries.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { usageRoutes } from './routes/usage.ts';
import { registerConsole } from '../console/plugin.ts';
import { anomalyRoutes } from './routes/anomalies.ts';
import { erasureRoutes } from './routes/erasure.ts';
import { consentRoutes } from './routes/consents.ts';
import { psaTodoRoutes, PsaTodo } from './routes/psa-todos.ts';
import { psaSyncRoutes } from './routes/psa-sync.ts';
import { labourRoutes } from './routes/labour.ts';
import { mappingRoutes, MappingView } from './routes/mappings.ts';
import { driftRoutes, DriftFinding } from './routes/drift.ts';
import { erpPostingRoutes } from './routes/erp-postings.ts';
import { revenueJournalRoutes } from './routes/revenue-journals.ts';
import { onboardingTemplateRoutes } from './routes/onboarding-templates.ts';
import { customerReviewRoutes } from './routes/customer-reviews.ts';
import { seatChangeRoutes } from './routes/seat-changes.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The HTTP API. It validates, writes in one transaction, enqueues work and answers: never long work. */
export async function buildApp(ctx: HubContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // Honour a caller's request id so a trace crosses systems; otherwise make one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    forceCloseConnections: 'idle',
    schemaController: { compilersFactory: { buildValidator: textCoercingValidators(), buildSerializer: lazySerializers() } },
    ajv: {
      customOptions: {
        // Reject unknown fields with their name instead of silently dropping them.
        removeAdditional: false,
        useDefaults: true,
        allErrors: true,
      },
    },
  });
  // Once shutdown begins, answer in-flight requests with Connection: close so their
  // keep-alive sockets end with the answer instead of holding the drain for seconds.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  registerErrorHandling(app);
  // Auth first: its onRoute hook marks every route (the docs' own too) before swagger collects them.
  registerAuth(app, ctx.db, ctx.pool, ctx.config.consoleIdleSeconds);
  await registerOpenApi(app);
  registerIdempotency(app, ctx.db);
  registerWebhookIntakeMetrics(app, ctx);

  for (const schema of [Customer, CostNode, Connection, SyncRun]) app.addSchema(schema);
  for (const schema of [RateCard, RateCardVersion, RateCardSummary, EffectiveRateCardView, FxRate, ChargeCategoryMapping, AllocationRuleSchema, QuoteException]) app.addSchema(schema);

  healthRoutes(app, ctx);
  metricsRoutes(app, ctx);
  customerRoutes(app, ctx);
  costNodeRoutes(app, ctx);
  connectionRoutes(app, ctx);
  rateCardRoutes(app, ctx);
  quoteExceptionRoutes(app, ctx);
  fxRateRoutes(app, ctx);
  chargeCategoryRoutes(app, ctx);
  allocationRuleRoutes(app, ctx);
  auditRoutes(app, ctx);
  await importRoutes(app, ctx);
  lateUsageRoutes(app, ctx);
  syncRunRoutes(app, ctx);
  billingRunRoutes(app, ctx);
  invoiceRoutes(app, ctx);
  portalInvoiceRoutes(app, ctx);
  reportRoutes(app, ctx);
  settingsRoutes(app, ctx);
  notificationRoutes(app, ctx);
  await webhookRoutes(app, ctx);
  revenueScheduleRoutes(app, ctx);
  accountingMappingRoutes(app, ctx);
  invoiceAdjustmentRoutes(app, ctx);
  invoiceDeliveryRoutes(app, ctx);
  sessionRoutes(app, ctx);
  subscriptionRoutes(app, ctx);
  usageRoutes(app, ctx);
  await registerConsole(app);
  anomalyRoutes(app, ctx);
  erasureRoutes(app, ctx);
  consentRoutes(app, ctx);
  app.addSchema(PsaTodo);
  psaTodoRoutes(app, ctx);
  psaSyncRoutes(app, ctx);
  labourRoutes(app, ctx);
  app.addSchema(MappingView);
  mappingRoutes(app, ctx);
  app.addSchema(DriftFinding);
  driftRoutes(app, ctx);
  erpPostingRoutes(app, ctx);
  app.addSchema(QuoteVarianceRow);
  quoteVarianceRoutes(app, ctx);
  onboardingTemplateRoutes(app, ctx);
  revenueJournalRoutes(app, ctx);
  seatChangeRoutes(app, ctx);
  customerReviewRoutes(app, ctx);

  return app;
}
