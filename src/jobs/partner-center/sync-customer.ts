import { isConsentLapsedError, type PartnerCenterSubscription } from '../../connectors/partner-center/index.ts';
import type { HubContext } from '../../context.ts';
import { lapsedCustomerIds, markConsentLapsed } from '../../db/consents.ts';
import { upsertSubscriptions } from '../../db/subscriptions.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { addProgress, recordRunError } from './run-progress.ts';
import type { RunPayload } from './task.ts';

export interface SyncCustomerPayload extends RunPayload {
  connectionId: string;
  tenantId: string;
  customerId: string;
}

const ACTOR = { actor: 'system:partner_center.sync_customer' };

/** One customer's subscriptions. A lapsed GDAP relationship pauses this customer alone. */
export async function syncCustomer(payload: SyncCustomerPayload, ctx: HubContext): Promise<void> {
  if ((await lapsedCustomerIds(ctx.db, payload.connectionId)).has(payload.customerId)) {
    await addProgress(ctx.db, payload.runId, { customersDone: 1, pendingJobs: -1 });
    return;
  }
  let retries = 0;
  const client = await partnerCenterClientFor(ctx, payload.connectionId, { onRetry: () => retries++, correlationId: payload.runId });
  const subscriptions: PartnerCenterSubscription[] = [];
  let pages = 0;
  try {
    for await (const page of client.subscriptions(payload.tenantId)) {
      subscriptions.push(...page.items);
      pages++;
    }
  } catch (err) {
    if (!isConsentLapsedError(err)) throw err;
    await markConsentLapsed(ctx.db, { customerId: payload.customerId, connectionId: payload.connectionId, detail: err.message }, ACTOR);
    await recordRunError(ctx.db, payload.runId, { job: 'partner_center:sync_customer', customerId: payload.customerId, message: `consent lapsed: ${err.message}` });
    await addProgress(ctx.db, payload.runId, { customersDone: 1, pendingJobs: -1, retries });
    return;
  }
  await upsertSubscriptions(ctx.db, { customerId: payload.customerId, connectionId: payload.connectionId, subscriptions, seenAt: new Date() }, ACTOR);
  await addProgress(ctx.db, payload.runId, { customersDone: 1, pages, retries, pendingJobs: -1 });
}
