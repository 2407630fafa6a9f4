import type { HubContext } from '../../context.ts';
import { writeAudit, type ActorContext } from '../../db/audit.ts';

// The life of a drift finding, shared by every comparison: opened when a difference is
// new, refreshed while it lasts, closed with a note when the values agree again.

export const DRIFT_ACTOR: ActorContext = { actor: 'system:drift' };
export const OPEN_STATUSES = ['open', 'resolving', 'awaiting-approval'] as const;

export interface DriftRunSummary {
  compared: number;
  opened: number;
  updated: number;
  closed: number;
}

/** One difference as a comparison sees it. */
export interface FindingDraft {
  connectionId: string;
  customerId: string;
  system: string;
  field: string;
  subject: string;
  owner: string;
  ownerValue: string;
  ownerSeenAt: Date | null;
  otherValue: string;
  otherSeenAt: Date | null;
  moneyAtStake: string | null;
  currency: string | null;
  vendorRef: Record<string, unknown>;
}

/**
 * Records the outcome of one comparison under its key: the difference (draft) or none
 * (null). Idempotent: the same state twice changes nothing but the refresh.
 */
export async function keepFinding(ctx: HubContext, key: string, draft: FindingDraft | null, summary: DriftRunSummary): Promise<void> {
  summary.compared++;
  const existing = await ctx.db.selectFrom('drift_findings').selectAll().where('finding_key', '=', key).where('status', 'in', [...OPEN_STATUSES]).executeTakeFirst();
  if (!draft) {
    if (existing) {
      await closeFinding(ctx, existing.id, existing.status === 'awaiting-approval');
      summary.closed++;
    }
    return;
  }
  const values = {
    owner: draft.owner,
    owner_value: draft.ownerValue,
    owner_seen_at: draft.ownerSeenAt,
    other_value: draft.otherValue,
    other_seen_at: draft.otherSeenAt,
    money_at_stake: draft.moneyAtStake,
    currency: draft.currency,
    vendor_ref: JSON.stringify(draft.vendorRef),
  };
  if (existing) {
    await ctx.db.updateTable('drift_findings').set(values).where('id', '=', existing.id).execute();
    summary.updated++;
    return;
  }
  // An ignored difference stays ignored while both values are what the person ignored.
  const ignored = await ctx.db
    .selectFrom('drift_findings')
    .select('id')
    .where('finding_key', '=', key)
    .where('status', '=', 'ignored')
    .where('owner_value', '=', values.owner_value)
    .where('other_value', '=', values.other_value)
    .executeTakeFirst();
  if (ignored) return;
  await ctx.db.transaction().execute(async (trx) => {
    const created = await trx
      .insertInto('drift_findings')
      .values({ finding_key: key, connection_id: draft.connectionId, customer_id: draft.customerId, system: draft.system, field: draft.field, subject: draft.subject, ...values })
      .returning('id')
      .executeTakeFirstOrThrow();
    await writeAudit(trx, { ...DRIFT_ACTOR, action: 'drift.open', entity: 'drift_finding', entityId: created.id, after: { key, ...values, vendor_ref: draft.vendorRef } });
  });
  summary.opened++;
}

/**
 * A difference that is gone: a finding awaiting its approval is resolved (the approval
 * landed), any other closes by itself, with that noted.
 */
export async function closeFinding(ctx: HubContext, id: string, approved: boolean, why = 'the values agree again without a resolution in the hub'): Promise<void> {
  const set = approved
    ? { status: 'resolved', resolved_at: new Date() }
    : { status: 'closed', resolution: 'disappeared', resolution_note: why, resolved_by: DRIFT_ACTOR.actor, resolved_at: new Date() };
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('drift_findings').set(set).where('id', '=', id).execute();
    await writeAudit(trx, { ...DRIFT_ACTOR, action: approved ? 'drift.approved' : 'drift.close', entity: 'drift_finding', entityId: id, after: set });
  });
}

/** Closes a connection's open findings of these fields that the run just made did not compare, saying why. */
export async function closeUncompared(ctx: HubContext, connectionId: string, fields: readonly string[], seen: ReadonlySet<string>, why: string, summary: DriftRunSummary): Promise<void> {
  const open = await ctx.db.selectFrom('drift_findings').select(['id', 'finding_key']).where('connection_id', '=', connectionId).where('field', 'in', [...fields]).where('status', '=', 'open').execute();
  for (const finding of open.filter((f) => !seen.has(f.finding_key))) {
    await closeFinding(ctx, finding.id, false, why);
    summary.closed++;
  }
}
