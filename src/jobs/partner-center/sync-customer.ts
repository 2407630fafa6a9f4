import { isConsentLapsedError, type PartnerCenterSubscription } from '../../connectors/partner-center/index.ts';
import type { HubContext } from '../../context.ts';
import { consentBlock, markConsentLapsed } from '../../db/consents.ts';
import { resolveCustomers } from '../../db/ingest/customers.ts';
import { upsertSubscriptions } from '../../db/subscriptions.ts';
import { partnerCenterClientFor } from './client-for-connection.ts';
import { gdapChecked, reviewConsent } from './gdap-check.ts';
import { addProgress, recordRunError } from './run-progress.ts';
import type { RunPayload } from './task.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';

const SUBSCRIPTION = mappingObject('partner-center', 'subscription')!;

export interface SyncCustomerPayload extends RunPayload {
  connectionId: string;
  tenantId: string;
  /** The company name Partner Center lists, for a customer the hub has not met yet. */
  name?: string | null;
  /** The hub's customer: resolved by the job (and set here for the run's error record), or given by older runs. */
  customerId?: string;
}

const ACTOR = { actor: 'system:partner_center.sync_customer' };
/** Customers first met in a sync are created on behalf of the run, as before jobs resolved their own. */
const RESOLVE_ACTOR = 'system:partner_center.sync';

/** One customer's subscriptions. A lapsed GDAP relationship pauses this customer alone. */
export async function syncCustomer(payload: SyncCustomerPayload, ctx: HubContext): Promise<void> {
  payload.customerId ??= (await resolveCustomers(ctx.db, [{ tenantId: payload.tenantId, name: payload.name ?? null }], RESOLVE_ACTOR)).get(payload.tenantId)!;
  const customerId = payload.customerId;
  // GDAP first: judged on the relationships the run read from Graph (a customer first met
  // in this run included); a lapsed, expired or role-less customer is skipped, the others go on.
  let newlyBlocked = false;
  if (await gdapChecked(ctx, payload.connectionId)) {
    const customer = await ctx.db.selectFrom('customers').select('name').where('id', '=', customerId).executeTakeFirstOrThrow();
    const review = await reviewConsent(ctx, payload.connectionId, { id: customerId, name: customer.name, tenantId: payload.tenantId }, new Date());
    newlyBlocked = review.verdict.blocked && review.changed;
  }
  const block = await consentBlock(ctx.db, payload.connectionId, customerId);
  if (block) {
    // Said once, when the customer becomes blocked; later runs skip it quietly (its consent and alert say why).
    if (newlyBlocked) await recordRunError(ctx.db, payload.runId, { job: 'partner_center:sync_customer', customerId, message: `skipped: ${block}` });
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
    await markConsentLapsed(ctx.db, { customerId, connectionId: payload.connectionId, detail: err.message }, ACTOR);
    await recordRunError(ctx.db, payload.runId, { job: 'partner_center:sync_customer', customerId, message: `consent lapsed: ${err.message}` });
    await addProgress(ctx.db, payload.runId, { customersDone: 1, pendingJobs: -1, retries });
    return;
  }
  const mapping = await checkedMappingInForce(ctx.db, payload.connectionId, SUBSCRIPTION);
  const saved = await upsertSubscriptions(ctx.db, { customerId, connectionId: payload.connectionId, subscriptions, seenAt: new Date(), mapping }, ACTOR);
  for (const r of saved.refused.slice(0, 5)) {
    await recordRunError(ctx.db, payload.runId, { job: 'partner_center:sync_customer', customerId, message: `subscription ${r.id} left as it was: ${r.problems.map((p) => `rule ${p.rule} ${p.field}: ${p.reason}`).join('; ')}` });
  }
  await addProgress(ctx.db, payload.runId, { customersDone: 1, pages, retries, pendingJobs: -1 });
}
