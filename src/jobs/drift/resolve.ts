import type { Selectable, Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { writeAudit, type ActorContext } from '../../db/audit.ts';
import { checkVersion, requestVersion, type RuleInput, type VersionInput } from '../../db/rate-card-requests.ts';
import { ruleMatchOf } from '../../db/rate-cards.ts';
import type { Database } from '../../db/types.ts';
import { Decimal } from '../../engine/decimal.ts';
import { crmPriceFor, type HubPrice } from '../../engine/drift.ts';
import { todayIn } from '../../engine/dates.ts';
import { enqueueJob } from '../enqueue.ts';
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import { contactWriteSystem, pushContactFinding, type VendorWrite } from './contact-push.ts';
import type { ContactRef } from './contacts.ts';
import { psaSeatResolution } from './psa-seat-resolve.ts';

export const DRIFT_PUSH_TASK = 'drift:push';
export type DriftAction = 'push-owner-value' | 'accept-other-value' | 'ignore';

type FindingRow = Selectable<Database['drift_findings']>;
interface VendorRef {
  object: 'line_items';
  id: string;
  kind: 'seat' | 'azure';
  quantity: string;
  unitCost: string | null;
  hubValue: string;
  crmValue: string;
}
/** A seat count finding: the line to correct and Microsoft's seats. */
interface SeatRef {
  object: 'line_items';
  id: string;
  kind: 'seat-quantity';
  quantity: string;
}

/** Why a resolution cannot proceed: the route answers 409 with it. */
export class DriftConflict extends Error {}

/**
 * Resolves an open finding. The side that changes is the other system for
 * push-owner-value and the owner for accept-other-value. A CRM change is queued for the
 * push job (one write, keyed by the finding); a hub price change is a new rate card
 * version, pending the dual approval every price change needs. Audited with the reason.
 */
export async function resolveFinding(ctx: HubContext, id: string, action: DriftAction, reason: string, actor: ActorContext): Promise<FindingRow | undefined> {
  return ctx.db.transaction().execute(async (trx) => {
    const finding = await trx.selectFrom('drift_findings').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!finding) return undefined;
    if (finding.status !== 'open') throw new DriftConflict(`finding ${id} is ${finding.status}: only an open finding can be resolved`);
    let set: Pick<Partial<FindingRow>, 'status' | 'resolution' | 'resolution_note' | 'resolved_by' | 'resolved_at'>;
    if (action === 'ignore') {
      set = { status: 'ignored', resolution: 'ignore', resolution_note: reason, resolved_by: actor.actor, resolved_at: new Date() };
    } else if ((finding.vendor_ref as { kind?: string }).kind === 'psa-seat-quantity') {
      // An agreement quantity changes only through the PSA's seat to-do queue, never by a write from here.
      const outcome = await psaSeatResolution(trx, finding, action, reason);
      if ('refused' in outcome) throw new DriftConflict(outcome.refused);
      set = { status: 'awaiting-approval', resolution: action, resolution_note: outcome.note, resolved_by: actor.actor };
    } else {
      // The side that changes: a vendor copy is written by the push job (once, keyed by the finding); the hub's own price becomes a pending rate card version.
      const changes = action === 'push-owner-value' ? (finding.owner === 'crm' ? 'hub' : 'crm') : finding.owner === 'crm' ? 'crm' : 'hub';
      const ref = finding.vendor_ref as { object?: string; kind?: string; crmProperty?: string | null; erpField?: string };
      if (ref.object === 'contacts') {
        if (contactWriteSystem(finding.owner, action) === 'hubspot' && !ref.crmProperty) {
          throw new DriftConflict(`no HubSpot company property copies the ERP's ${ref.erpField} unchanged (the company or the ERP's mapping transforms it): change the CRM by hand`);
        }
      } else if (changes !== 'crm' && (finding.owner === 'microsoft' || ref.kind === 'seat-quantity')) {
        throw new DriftConflict(seatOrderNeeded(finding));
      }
      if (ref.object === 'contacts' || changes === 'crm') {
        await enqueueJob(trx, DRIFT_PUSH_TASK, { findingId: id }, { jobKey: `drift:push:${id}` });
        set = { status: 'resolving', resolution: action, resolution_note: reason, resolved_by: actor.actor };
      } else {
        const pending = await requestHubPrice(trx, ctx, finding, reason, actor);
        set = { status: 'awaiting-approval', resolution: action, resolution_note: `${reason} (rate card ${pending.cardId} version ${pending.version} awaits approval)`, resolved_by: actor.actor };
      }
    }
    const after = await trx.updateTable('drift_findings').set(set).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(trx, { ...actor, action: `drift.${action}`, entity: 'drift_finding', entityId: id, before: { status: finding.status }, after: { status: after.status, resolution: action }, justification: reason });
    return after;
  });
}

/**
 * Why the hub's side of a seat count cannot simply take another value: the hub's seats
 * are what Microsoft provisioned, and they change only through an order at Microsoft.
 */
function seatOrderNeeded(finding: FindingRow): string {
  const route = 'record the seat change with POST /v1/subscriptions/{id}/seat-changes and the next drift run closes this finding';
  if (finding.owner === 'microsoft') return `${finding.field} is owned by Microsoft: change it through a subscription order, not by accepting another system's copy (${route})`;
  return `${finding.field} is owned by the ${finding.owner}, but Microsoft's seats change only through a subscription order: ${route}`;
}

/** The CRM's value as a new pending version of the customer's card: the latest approved rules with this one replaced. */
async function requestHubPrice(trx: Transaction<Database>, ctx: HubContext, finding: FindingRow, reason: string, actor: ActorContext) {
  const ref = finding.vendor_ref as unknown as VendorRef;
  const card = await trx.selectFrom('rate_cards').selectAll().where('customer_id', '=', finding.customer_id).forUpdate().executeTakeFirstOrThrow();
  const latest = await trx
    .selectFrom('rate_card_versions')
    .selectAll()
    .where('rate_card_id', '=', card.id)
    .where('status', '=', 'approved')
    .orderBy('decided_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  const rules = await trx.selectFrom('rate_card_rules').selectAll().where('rate_card_version_id', '=', latest.id).orderBy('position').execute();
  const [kind, value] = finding.subject.split(/:(.*)/) as [string, string];
  const inputs: RuleInput[] = rules.map((row) => {
    const match = ruleMatchOf(row);
    const hit = kind === 'sku' ? 'sku' in match && match.sku.toLowerCase() === value.toLowerCase() : 'category' in match && match.category === value;
    if (hit) return ref.kind === 'seat' ? { match, unitPrice: ref.crmValue } : { match, basis: 'cost', markupPercent: ref.crmValue };
    return row.unit_price !== null ? { match, unitPrice: row.unit_price } : { match, basis: row.basis as 'cost' | 'list', markupPercent: row.markup_percent! };
  });
  const input: VersionInput = {
    currency: latest.currency,
    rounding: { scope: latest.rounding_scope as 'line' | 'invoice', mode: latest.rounding_mode as 'half_up' | 'half_even' },
    justification: `drift finding ${finding.id}: ${finding.field} ${finding.subject} takes the CRM value ${ref.crmValue}: ${reason}`,
    rules: inputs,
  };
  const problems: string[] = [];
  checkVersion(input, { add: (field, why) => problems.push(`${field}: ${why}`) }, { inherits: card.template_id !== null });
  if (problems.length > 0) throw new DriftConflict(`the rate card version this needs is invalid: ${problems.join('; ')}`);
  const version = await requestVersion(trx, card, input, actor, todayIn(ctx.config.billingTimeZone));
  return { cardId: card.id, version: version.version };
}

/**
 * The push job: writes the resolved value once: the hub's to the CRM line, or one billing
 * field between the CRM company and the ERP's record. The write is recorded in
 * sync_writes under the finding's key (the hub's origin marker), so a retried job never
 * writes twice and the hub recognises the new CRM value as its own.
 */
export async function pushFindingToCrm(ctx: HubContext, findingId: string): Promise<'written' | 'already-written' | 'not-resolving'> {
  const finding = await ctx.db.selectFrom('drift_findings').selectAll().where('id', '=', findingId).executeTakeFirst();
  if (!finding || finding.status !== 'resolving') return 'not-resolving';
  const key = `drift:${findingId}`;
  const done = await ctx.db.selectFrom('sync_writes').select('id').where('idempotency_key', '=', key).executeTakeFirst();
  let outcome: 'written' | 'already-written' = 'already-written';
  let write: VendorWrite | undefined;
  if (!done) {
    const ref = finding.vendor_ref as unknown as VendorRef | SeatRef | ContactRef;
    if (ref.object === 'contacts') write = await pushContactFinding(ctx, finding);
    else write = ref.kind === 'seat-quantity' ? await pushSeats(ctx, finding, ref) : await pushPrice(ctx, findingId, finding, ref);
    if (write) outcome = 'written';
  }
  await ctx.db.transaction().execute(async (trx) => {
    if (write) {
      await trx
        .insertInto('sync_writes')
        .values({ idempotency_key: key, connection_id: finding.connection_id, object: write.object, external_id: write.externalId, before: JSON.stringify(write.before), after: JSON.stringify(write.after), origin: `hub:${key}` })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .execute();
    }
    await trx.updateTable('drift_findings').set({ status: 'resolved', resolved_at: new Date() }).where('id', '=', findingId).execute();
    await writeAudit(trx, { actor: 'system:drift', action: 'drift.pushed', entity: 'drift_finding', entityId: findingId, after: { status: 'resolved', write: write ?? 'already written' } });
  });
  return outcome;
}

/** Microsoft's seat count onto the CRM line's quantity. */
async function pushSeats(ctx: HubContext, finding: FindingRow, ref: SeatRef): Promise<VendorWrite> {
  const { client } = await hubspotClientFor(ctx, finding.connection_id);
  const [current] = await client.readLineItems([ref.id]);
  const after = { quantity: ref.quantity };
  await client.updateLineItem(ref.id, after);
  return { object: 'line_items', externalId: ref.id, before: { quantity: current?.properties.quantity ?? null }, after };
}

/** The hub's price onto the CRM line, discounts cleared. */
async function pushPrice(ctx: HubContext, findingId: string, finding: FindingRow, ref: VendorRef): Promise<VendorWrite> {
  const hub: HubPrice = ref.kind === 'seat' ? { unitPrice: new Decimal(ref.hubValue) } : { markupPercent: new Decimal(ref.hubValue) };
  const price = crmPriceFor(hub, ref.unitCost === null ? null : new Decimal(ref.unitCost));
  if (price === null) throw new Error(`finding ${findingId}: the CRM line has no cost to put the markup on`);
  const { client } = await hubspotClientFor(ctx, finding.connection_id);
  const [current] = await client.readLineItems([ref.id]);
  const after = { price: price.toString(), discount: '0', hs_discount_percentage: '0' };
  await client.updateLineItem(ref.id, after);
  return { object: 'line_items', externalId: ref.id, before: { price: current?.properties.price ?? null, discount: current?.properties.discount ?? null, hs_discount_percentage: current?.properties.hs_discount_percentage ?? null }, after };
}
