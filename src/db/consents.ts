import type { Transaction } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './types.ts';
import { expiryAlertDue, type ConsentAssessment, type ConsentState } from '../engine/consent.ts';
import { alertRaised, publishEvent } from '../notifications/events.ts';
import { writeAudit, type ActorContext } from './audit.ts';

/**
 * GDAP lapsed: Partner Center answered 403 for this customer. Marked once with the
 * time it was seen, with one open alert; later syncs skip the customer until restored.
 */
export async function markConsentLapsed(db: Db, input: { customerId: string; connectionId: string; detail: string }, actor: ActorContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await lockConsent(trx, input);
    if (before?.status === 'lapsed') return false;
    const now = new Date();
    const after = await trx
      .insertInto('consents')
      .values({ customer_id: input.customerId, connection_id: input.connectionId, status: 'lapsed', lapsed_at: now, detail: input.detail })
      .onConflict((oc) => oc.columns(['customer_id', 'connection_id']).doUpdateSet({ status: 'lapsed', lapsed_at: now, detail: input.detail }))
      .returningAll()
      .executeTakeFirstOrThrow();
    await raiseConsentAlert(trx, {
      kind: 'consent.lapsed',
      severity: 'critical',
      customerId: input.customerId,
      connectionId: input.connectionId,
      message: 'Partner Center refused access to this customer (GDAP relationship lapsed); its syncs are paused until consent is restored',
      detail: { seenAt: now.toISOString(), detail: input.detail },
    });
    await writeAudit(trx, { ...actor, action: 'consent.lapsed', entity: 'customer', entityId: input.customerId, before: before ?? null, after });
    return true;
  });
}

/** An admin re-established GDAP: syncs include the customer again and its open alerts resolve. */
export async function restoreConsent(db: Db, input: { customerId: string; connectionId: string; justification: string }, actor: ActorContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await lockConsent(trx, input);
    if (!before || before.status !== 'lapsed') return false;
    const after = await trx
      .updateTable('consents')
      .set({ status: 'active', restored_at: new Date() })
      .where('customer_id', '=', input.customerId)
      .where('connection_id', '=', input.connectionId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('alerts')
      .set({ status: 'resolved' })
      .where('kind', '=', 'consent.lapsed')
      .where('customer_id', '=', input.customerId)
      .where('connection_id', '=', input.connectionId)
      .where('status', '!=', 'resolved')
      .execute();
    await writeAudit(trx, { ...actor, action: 'consent.restore', entity: 'customer', entityId: input.customerId, before, after, justification: input.justification });
    return true;
  });
}

/** The customer's consent row on the connection, locked for the rest of the transaction. */
function lockConsent(trx: Transaction<Database>, key: { customerId: string; connectionId: string }) {
  return trx.selectFrom('consents').selectAll().where('customer_id', '=', key.customerId).where('connection_id', '=', key.connectionId).forUpdate().executeTakeFirst();
}

interface ConsentAlert {
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  customerId: string;
  connectionId: string;
  message: string;
  detail: Record<string, unknown>;
}

/** An open alert, published to the notification channels in the same transaction. */
async function raiseConsentAlert(trx: Transaction<Database>, a: ConsentAlert): Promise<void> {
  const alert = await trx
    .insertInto('alerts')
    .values({ kind: a.kind, severity: a.severity, customer_id: a.customerId, connection_id: a.connectionId, message: a.message, detail: JSON.stringify(a.detail) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await publishEvent(trx, alertRaised(alert));
}

const BLOCKING: readonly ConsentState[] = ['expired', 'missing_roles', 'no_relationship'];
const BLOCKED_KINDS = BLOCKING.map((state) => `consent.${state}`);

/**
 * Record a GDAP verdict on the customer's consent row. Alerts once per threshold as the end
 * nears (30, 7, 1 days; a new end date starts over), once when the customer becomes blocked,
 * and resolves those alerts when consent is whole again. A change of state is audited.
 */
export async function recordConsentVerdict(
  db: Db,
  input: { customerId: string; connectionId: string; customerName: string },
  verdict: ConsentAssessment,
  checkedAt: Date,
  actor: ActorContext,
): Promise<{ changed: boolean }> {
  return db.transaction().execute(async (trx) => {
    const before = await lockConsent(trx, input);
    const sameEnd = (before?.expires_at?.getTime() ?? null) === (verdict.expiresAt?.getTime() ?? null);
    const alerted = sameEnd ? (before?.expiry_alerted_days ?? null) : null;
    const due = verdict.state === 'expiring' ? expiryAlertDue(verdict.daysLeft, alerted) : null;
    const fields = {
      gdap_state: verdict.state,
      relationship_id: verdict.relationshipId,
      expires_at: verdict.expiresAt,
      auto_extends: verdict.autoExtends,
      missing_roles: verdict.missingRoles,
      gdap_reason: verdict.reason,
      checked_at: checkedAt,
      expiry_alerted_days: due ?? alerted,
    };
    await trx
      .insertInto('consents')
      .values({ customer_id: input.customerId, connection_id: input.connectionId, status: 'active', ...fields })
      .onConflict((oc) => oc.columns(['customer_id', 'connection_id']).doUpdateSet(fields))
      .execute();
    const ids = { customerId: input.customerId, connectionId: input.connectionId };
    const evidence = { relationshipId: verdict.relationshipId, expiresAt: verdict.expiresAt?.toISOString() ?? null, daysLeft: verdict.daysLeft, missingRoles: verdict.missingRoles };
    if (due !== null) {
      await raiseConsentAlert(trx, {
        ...ids,
        kind: 'consent.expiring',
        severity: due === 1 ? 'critical' : 'warning',
        message: `The GDAP relationship with ${input.customerName} ends in ${verdict.daysLeft} day${verdict.daysLeft === 1 ? '' : 's'} (${verdict.expiresAt!.toISOString().slice(0, 10)}): renew it in Partner Center or its syncs stop`,
        detail: { ...evidence, threshold: due },
      });
    }
    if (verdict.blocked && before?.gdap_state !== verdict.state) {
      await raiseConsentAlert(trx, { ...ids, kind: `consent.${verdict.state}`, severity: 'critical', message: `${input.customerName}: ${verdict.reason}; its syncs are paused`, detail: evidence });
    }
    const settled = verdict.blocked ? [] : verdict.state === 'active' ? [...BLOCKED_KINDS, 'consent.expiring'] : BLOCKED_KINDS;
    if (settled.length > 0) {
      await trx
        .updateTable('alerts')
        .set({ status: 'resolved' })
        .where('kind', 'in', settled)
        .where('customer_id', '=', input.customerId)
        .where('connection_id', '=', input.connectionId)
        .where('status', '!=', 'resolved')
        .execute();
    }
    const changed = before?.gdap_state !== verdict.state;
    if (changed) {
      await writeAudit(trx, { ...actor, action: 'consent.gdap', entity: 'customer', entityId: input.customerId, before: before ? { gdapState: before.gdap_state } : null, after: { gdapState: verdict.state, ...evidence } });
    }
    return { changed };
  });
}

/** Why this customer must not be synced on this connection, or undefined when it may. */
export async function consentBlock(db: Db, connectionId: string, customerId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('consents')
    .select(['status', 'gdap_state', 'gdap_reason'])
    .where('customer_id', '=', customerId)
    .where('connection_id', '=', connectionId)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.status === 'lapsed') return 'consent lapsed: Partner Center refused access (403); an admin restores it once GDAP is re-established';
  if (row.gdap_state && (BLOCKING as readonly string[]).includes(row.gdap_state)) return `consent ${row.gdap_state}: ${row.gdap_reason}`;
  return undefined;
}
