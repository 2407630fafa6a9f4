import type { TaskList } from 'graphile-worker';
import type { HubContext } from '../context.ts';
import { processWebhook, type WebhookProcessPayload } from './tasks/webhook-process.ts';
import { importFile, SWEEP_UPLOADS_TASK, sweepUploads, type ImportFilePayload } from './tasks/import-file.ts';
import { IMPORT_TASK } from '../db/ingest/partner-center-file.ts';
import { scheduleSyncs } from './partner-center/schedule.ts';
import { syncPartner } from './partner-center/sync.ts';
import { syncCustomer, type SyncCustomerPayload } from './partner-center/sync-customer.ts';
import { syncTask } from './partner-center/task.ts';
import { ingestUsageBlob, type UsageBlobPayload } from './partner-center/usage-blob.ts';
import { exportUsage, type UsageExportPayload } from './partner-center/usage-export.ts';
import { syncLicenseLines, type LicenseLinesPayload } from './partner-center/license-lines.ts';
import type { SyncKind } from './partner-center/start-run.ts';
import { closeCustomerTask, closeTask } from './billing/task.ts';
import { deliverTask } from './notify/deliver.ts';
import { QUOTE_TO_CASH_TASK } from './hubspot/deal-events.ts';
import { quoteToCash, type QuoteToCashPayload } from './hubspot/quote-to-cash.ts';
import { CONNECTWISE_SCHEDULE_TASK, scheduleConnectWise } from './connectwise/schedule.ts';
import { syncConnectWiseTime, TIME_SYNC_TASK, type TimeSyncPayload } from './connectwise/time-sync.ts';
import { INVOICE_DELIVERY_TASK } from '../db/invoice-deliveries.ts';
import { invoiceDeliverTask } from './invoices/deliver.ts';
import { USAGE_RETENTION_TASK, anonymiseUsageTelemetry } from './retention/usage-telemetry.ts';
import { ANOMALY_SCAN_CUSTOMER_TASK, ANOMALY_SCAN_TASK, scanAnomalies, scanCustomerAnomalies, type AnomalyScanCustomerPayload, type AnomalyScanPayload } from './anomalies/scan.ts';
import { gdapCheckTask } from './partner-center/gdap-check.ts';
import { LICENCE_SNAPSHOT_TASK, licenceSnapshotTask } from './partner-center/licence-snapshot.ts';
import { ERASURE_TASK, runErasure } from '../db/erasure.ts';
import { SALESFORCE_QUOTE_TO_CASH_TASK, salesforceQuoteToCash, type SalesforceQuoteToCashPayload } from './salesforce/quote-to-cash.ts';
import { reconcileConnectWiseSeats, SEAT_RECONCILE_TASK, type SeatReconcilePayload } from './connectwise/seat-reconcile.ts';
import { WRITE_TODO_TASK, writeSeatTodo, type WriteTodoPayload } from './connectwise/write-todo.ts';
import { detectDrift, DRIFT_TASK } from './drift/detect.ts';
import { DRIFT_PUSH_TASK, pushFindingToCrm } from './drift/resolve.ts';
import { enqueueJob } from './enqueue.ts';
import { POST_INVOICE_TASK, postInvoice, type PostInvoicePayload } from './erp/post-invoice.ts';
import { checkQuoteBudgets, QUOTE_BUDGET_CHECK_TASK, type QuoteBudgetCheckPayload } from './crm/budget-check.ts';
import { checkOnboarding, ONBOARDING_CHECK_TASK, type OnboardingCheckPayload } from './crm/onboarding-check.ts';
import { autotaskTasks } from './autotask/tasks.ts';
import { POST_JOURNALS_TASK, postPeriodJournals, type PostJournalsPayload } from './erp/post-journals.ts';
import { SALESFORCE_SWEEP_TASK, sweepWonOpportunities, type SalesforceSweepPayload } from './salesforce/sweep-won.ts';

/** Every task the worker runs, by identifier. */
export function buildTaskList(ctx: HubContext): TaskList {
  return {
    'webhook:process': async (payload) => processWebhook(payload as WebhookProcessPayload, ctx),
    'partner_center:schedule': async (payload) => scheduleSyncs(payload as { kind: SyncKind }, ctx),
    'partner_center:sync': syncTask('partner_center:sync', ctx, (p) => syncPartner(p, ctx)),
    'partner_center:sync_customer': syncTask<SyncCustomerPayload>('partner_center:sync_customer', ctx, (p) => syncCustomer(p, ctx)),
    'partner_center:usage_export': syncTask<UsageExportPayload>('partner_center:usage_export', ctx, (p) => exportUsage(p, ctx)),
    'partner_center:usage_blob': syncTask<UsageBlobPayload>('partner_center:usage_blob', ctx, (p) => ingestUsageBlob(p, ctx)),
    'partner_center:license_lines': syncTask<LicenseLinesPayload>('partner_center:license_lines', ctx, (p) => syncLicenseLines(p, ctx)),
    [IMPORT_TASK]: async (payload) => importFile(payload as ImportFilePayload, ctx),
    [SWEEP_UPLOADS_TASK]: async () => sweepUploads(ctx),
    'billing:close': closeTask(ctx),
    'billing:close_customer': closeCustomerTask(ctx),
    'notify:deliver': deliverTask(ctx),
    [QUOTE_TO_CASH_TASK]: async (payload) => {
      const result = await quoteToCash(payload as QuoteToCashPayload, ctx);
      ctx.logger.info({ ...(payload as QuoteToCashPayload), ...result }, 'HubSpot deal processed');
      // After each sync, compare what it touched; one pending drift run serves every trigger.
      if (result.outcome === 'quoted') await enqueueJob(ctx.db, DRIFT_TASK, {}, { jobKey: DRIFT_TASK, jobKeyMode: 'preserve_run_at', runAt: new Date(Date.now() + 60_000) });
    },
    [DRIFT_TASK]: async () => {
      ctx.logger.info(await detectDrift(ctx), 'drift run');
    },
    [DRIFT_PUSH_TASK]: async (payload) => {
      const { findingId } = payload as { findingId: string };
      ctx.logger.info({ findingId, outcome: await pushFindingToCrm(ctx, findingId) }, 'drift: owner value pushed');
    },
    [CONNECTWISE_SCHEDULE_TASK]: async () => scheduleConnectWise(ctx),
    [TIME_SYNC_TASK]: async (payload) => {
      const result = await syncConnectWiseTime(payload as TimeSyncPayload, ctx);
      ctx.logger.info({ ...(payload as TimeSyncPayload), ...result }, 'ConnectWise time entries synced');
    },
    [INVOICE_DELIVERY_TASK]: invoiceDeliverTask(ctx),
    [ANOMALY_SCAN_TASK]: async (payload) => {
      await scanAnomalies((payload ?? {}) as AnomalyScanPayload, ctx);
    },
    [ANOMALY_SCAN_CUSTOMER_TASK]: async (payload) => {
      await scanCustomerAnomalies(payload as AnomalyScanCustomerPayload, ctx);
    },
    [USAGE_RETENTION_TASK]: async () => {
      ctx.logger.info(await anonymiseUsageTelemetry(ctx), 'usage telemetry older than 90 days anonymised');
    },
    'partner_center:gdap_check': async (payload) => gdapCheckTask((payload ?? {}) as { connectionId?: string }, ctx),
    [SALESFORCE_QUOTE_TO_CASH_TASK]: async (payload) => {
      const result = await salesforceQuoteToCash(payload as SalesforceQuoteToCashPayload, ctx);
      ctx.logger.info({ ...(payload as SalesforceQuoteToCashPayload), ...result }, 'Salesforce opportunity processed');
    },
    [SEAT_RECONCILE_TASK]: async (payload) => {
      const result = await reconcileConnectWiseSeats(payload as SeatReconcilePayload, ctx);
      ctx.logger.info({ ...(payload as SeatReconcilePayload), ...result }, 'ConnectWise seats reconciled');
    },
    [WRITE_TODO_TASK]: async (payload) => {
      const outcome = await writeSeatTodo(payload as WriteTodoPayload, ctx);
      ctx.logger.info({ ...(payload as WriteTodoPayload), outcome }, 'PSA to-do written');
    },
    [POST_INVOICE_TASK]: async (payload) => postInvoice(payload as PostInvoicePayload, ctx),
    [QUOTE_BUDGET_CHECK_TASK]: async (payload) => {
      ctx.logger.info(await checkQuoteBudgets((payload ?? {}) as QuoteBudgetCheckPayload, ctx), 'quote Azure budgets checked');
    },
    [ONBOARDING_CHECK_TASK]: async (payload) => {
      ctx.logger.info(await checkOnboarding((payload ?? {}) as OnboardingCheckPayload, ctx), 'onboarding reviews and trials checked');
    },
    ...autotaskTasks(ctx),
    [POST_JOURNALS_TASK]: async (payload) => {
      const outcomes = await postPeriodJournals((payload ?? {}) as PostJournalsPayload, ctx);
      ctx.logger.info({ journals: outcomes }, 'revenue journals posted');
      const failed = outcomes.filter((o) => o.retryable);
      // Failed journals keep their entries; the job's retry (or the next run) sends the same journal again. Refusals wait for a fix and the next run.
      if (failed.length > 0) throw new Error(`revenue journals not posted: ${failed.map((f) => `${f.number}: ${f.error}`).join('; ')}`);
    },
    [LICENCE_SNAPSHOT_TASK]: async (payload) => licenceSnapshotTask((payload ?? {}) as { connectionId?: string; day?: string }, ctx),
    [SALESFORCE_SWEEP_TASK]: async (payload) => {
      ctx.logger.info(await sweepWonOpportunities((payload ?? {}) as SalesforceSweepPayload, ctx), 'Salesforce won opportunities swept');
    },
    [ERASURE_TASK]: async (payload) => {
      const { erasureId } = payload as { erasureId: string };
      const result = await ctx.db.transaction().execute((trx) => runErasure(trx, erasureId));
      ctx.logger.info({ erasureId, done: result !== undefined }, 'GDPR erasure run');
    },
  };
}

/**
 * The tasks a worker runs when WORKER_TASKS names some: identifiers (`billing:close`) or
 * prefixes (`billing:*`). graphile-worker fetches only jobs of tasks in its list, so other
 * jobs wait for a worker that runs them. A pattern that matches no task is refused by name.
 *
 * @example selectTasks(buildTaskList(ctx), ['billing:*']) // billing:close, billing:close_customer
 */
export function selectTasks(tasks: TaskList, patterns: readonly string[] | null): TaskList {
  if (patterns === null) return tasks;
  const matches = (pattern: string, id: string) => (pattern.endsWith(':*') ? id.startsWith(pattern.slice(0, -1)) : id === pattern);
  const known = Object.keys(tasks);
  for (const pattern of patterns) {
    if (!known.some((id) => matches(pattern, id))) throw new Error(`WORKER_TASKS: "${pattern}" matches no task (tasks: ${known.join(', ')})`);
  }
  return Object.fromEntries(Object.entries(tasks).filter(([id]) => patterns.some((p) => matches(p, id))));
}

/**
 * graphile-worker crontab (UTC). Each task is idempotent and a run already in progress
 * is reused, so a missed or doubled tick is harmless.
 */
export const CRONTAB = [
  '# unbilled daily rated usage, every morning',
  '0 6 * * * partner_center:schedule ?id=pc-unbilled-daily {"kind":"unbilled"}',
  "# billed data for last month, after Microsoft's invoice close (6th-8th)",
  '0 7 9 * * partner_center:schedule ?id=pc-billed-monthly {"kind":"billed"}',
  '# stored chunks of uploads that never became an import',
  '43 * * * * imports:sweep_uploads ?id=imports-sweep-uploads',
  '# PSA time entries, incrementally',
  '*/15 * * * * connectwise:schedule ?id=connectwise-every-15-min',
  "# anomaly rules over yesterday's spend, every 4 hours (a day's usage keeps arriving for a while)",
  '0 */4 * * * anomalies:scan ?id=anomalies-every-4h',
  '# GDPR: usage telemetry older than 90 days anonymised, nightly',
  '30 3 * * * retention:usage_telemetry ?id=usage-retention-nightly',
  '# GDAP relationships, roles and expiry of every customer (alerts 30, 7 and 1 days ahead)',
  '0 5 * * * partner_center:gdap_check ?id=pc-gdap-daily {}',
  '# owned fields compared with every copy, hourly (and after each sync)',
  '17 * * * * drift:detect ?id=drift-hourly',
  "# onboarding: review reminders, trials' spend caps and conversion dates, every morning",
  '20 6 * * * crm:onboarding_check ?id=crm-onboarding-daily',
  '# Autotask time entries and contract seats (no webhooks for either: polled)',
  '*/15 * * * * autotask:schedule ?id=autotask-every-15-min',
  "# revenue recognition journals for last month, once it has ended (and on demand: POST /v1/revenue-journals)",
  '0 3 1 * * erp:post_journals ?id=erp-journals-monthly {}',
  "# licence assignment in every customer tenant (Graph subscribedSkus), daily after the GDAP review",
  '30 5 * * * partner_center:licence_snapshot ?id=pc-licences-daily {}',
  '# Salesforce opportunities won whose Outbound Message was dropped (Salesforce gives up after 24 h)',
  '35 * * * * salesforce:sweep_won ?id=salesforce-sweep-hourly',
].join('\n');
