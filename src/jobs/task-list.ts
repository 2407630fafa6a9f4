import type { TaskList } from 'graphile-worker';
import type { HubContext } from '../context.ts';
import { processWebhook, type WebhookProcessPayload } from './tasks/webhook-process.ts';

/** Every task the worker runs, by identifier. Payloads are validated by each task. */
export function buildTaskList(ctx: HubContext): TaskList {
  return {
    'webhook.process': async (payload) => processWebhook(payload as WebhookProcessPayload, ctx),
  };
}

/** graphile-worker crontab lines; each task is idempotent, so a missed or doubled tick is harmless. */
export const CRONTAB = '';
