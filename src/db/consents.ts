import type { Db } from './database.ts';
import { alertRaised, publishEvent } from '../notifications/events.ts';
import { writeAudit, type ActorContext } from './audit.ts';

/**
 * GDAP lapsed: Partner Center answered 403 for this customer. Marked once with the
 * time it was seen, with one open alert; later syncs skip the customer until restored.
 */
export async function markConsentLapsed(db: Db, input: { customerId: string; connectionId: string; detail: string }, actor: ActorContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('consents')
      .selectAll()
      .where('customer_id', '=', input.customerId)
      .where('connection_id', '=', input.connectionId)
      .forUpdate()
      .executeTakeFirst();
    if (before?.status === 'lapsed') return false;
    const now = new Date();
    const after = await trx
      .insertInto('consents')
      .values({ customer_id: input.customerId, connection_id: input.connectionId, status: 'lapsed', lapsed_at: now, detail: input.detail })
      .onConflict((oc) => oc.columns(['customer_id', 'connection_id']).doUpdateSet({ status: 'lapsed', lapsed_at: now, detail: input.detail }))
      .returningAll()
      .executeTakeFirstOrThrow();
    const alert = await trx
      .insertInto('alerts')
      .values({
        kind: 'consent.lapsed',
        severity: 'critical',
        customer_id: input.customerId,
        connection_id: input.connectionId,
        message: 'Partner Center refused access to this customer (GDAP relationship lapsed); its syncs are paused until consent is restored',
        detail: JSON.stringify({ seenAt: now.toISOString(), detail: input.detail }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await publishEvent(trx, alertRaised(alert));
    await writeAudit(trx, { ...actor, action: 'consent.lapsed', entity: 'customer', entityId: input.customerId, before: before ?? null, after });
    return true;
  });
}

/** An admin re-established GDAP: syncs include the customer again and its open alerts resolve. */
export async function restoreConsent(db: Db, input: { customerId: string; connectionId: string; justification: string }, actor: ActorContext): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('consents')
      .selectAll()
      .where('customer_id', '=', input.customerId)
      .where('connection_id', '=', input.connectionId)
      .forUpdate()
      .executeTakeFirst();
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

export async function lapsedCustomerIds(db: Db, connectionId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('consents').select('customer_id').where('connection_id', '=', connectionId).where('status', '=', 'lapsed').execute();
  return new Set(rows.map((r) => r.customer_id));
}
