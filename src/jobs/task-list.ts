import type { TaskList } from 'graphile-worker';
import type { HubContext } from '../context.ts';
import { processWebhook, type WebhookProcessPayload } from './tasks/webhook-process.ts';
import { importFile, type ImportFilePayload } from './tasks/import-file.ts';
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
import { POST_INVOICE_TASK, postInvoice, type PostInvoicePayload } from './erp/post-invoice.ts';

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
    'billing:close': closeTask(ctx),
    'billing:close_customer': closeCustomerTask(ctx),
    'notify:deliver': deliverTask(ctx),
    [QUOTE_TO_CASH_TASK]: async (payload) => {
      const result = await quoteToCash(payload as QuoteToCashPayload, ctx);
      ctx.logger.info({ ...(payload as QuoteToCashPayload), ...result }, 'HubSpot deal processed');
    },
    [POST_INVOICE_TASK]: async (payload) => postInvoice(payload as PostInvoicePayload, ctx),
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
].join('\n');
