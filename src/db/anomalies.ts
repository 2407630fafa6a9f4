import { sql, type Selectable, type Transaction } from 'kysely';
import { DEFAULT_ANOMALY_THRESHOLDS, type AnomalyFinding, type AnomalyThresholds, type DailySpend } from '../engine/anomaly.ts';
import { Decimal } from '../engine/decimal.ts';
import { DEFAULT_LICENCE_THRESHOLDS, type LicenceThresholds } from '../engine/licence-anomaly.ts';
import { minorUnits } from '../engine/money.ts';
import { alertRaised, publishEvent } from '../notifications/events.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Db } from './database.ts';
import type { AnomaliesTable, Database } from './types.ts';

export type AnomalyRow = Selectable<AnomaliesTable>;

/** Stored thresholds: decimal strings and day counts, each optional (absent: the default). */
export interface StoredThresholds {
  forecastWarningPercent?: string;
  forecastCriticalPercent?: string;
  velocityMultiple?: string;
  trailingDays?: number;
  velocityTrailingDays?: number;
  minHistoryDays?: number;
  unassignedDays?: number;
  lowUtilisationPercent?: string;
  lowUtilisationDays?: number;
}

export function licenceThresholdsFrom(stored: StoredThresholds | null | undefined): LicenceThresholds {
  const d = DEFAULT_LICENCE_THRESHOLDS;
  const s = stored ?? {};
  return {
    unassignedDays: s.unassignedDays ?? d.unassignedDays,
    lowUtilisationPercent: new Decimal(s.lowUtilisationPercent ?? d.lowUtilisationPercent),
    lowUtilisationDays: s.lowUtilisationDays ?? d.lowUtilisationDays,
  };
}

export function thresholdsFrom(stored: StoredThresholds | null | undefined): AnomalyThresholds {
  const d = DEFAULT_ANOMALY_THRESHOLDS;
  const s = stored ?? {};
  return {
    forecastWarningPercent: new Decimal(s.forecastWarningPercent ?? d.forecastWarningPercent),
    forecastCriticalPercent: new Decimal(s.forecastCriticalPercent ?? d.forecastCriticalPercent),
    velocityMultiple: new Decimal(s.velocityMultiple ?? d.velocityMultiple),
    trailingDays: s.trailingDays ?? d.trailingDays,
    velocityTrailingDays: s.velocityTrailingDays ?? d.velocityTrailingDays,
    minHistoryDays: s.minHistoryDays ?? d.minHistoryDays,
  };
}

export async function loadStoredThresholds(db: Db | Transaction<Database>, customerId: string): Promise<StoredThresholds | null> {
  const row = await db.selectFrom('anomaly_thresholds').select('thresholds').where('customer_id', '=', customerId).executeTakeFirst();
  return (row?.thresholds as StoredThresholds | undefined) ?? null;
}

export async function saveStoredThresholds(trx: Transaction<Database>, customerId: string, thresholds: StoredThresholds, actor: ActorContext): Promise<void> {
  const before = await loadStoredThresholds(trx, customerId);
  await trx
    .insertInto('anomaly_thresholds')
    .values({ customer_id: customerId, thresholds: JSON.stringify(thresholds) })
    .onConflict((oc) => oc.column('customer_id').doUpdateSet((eb) => ({ thresholds: eb.ref('excluded.thresholds') })))
    .execute();
  await writeAudit(trx, { ...actor, action: 'anomaly_thresholds.update', entity: 'customer', entityId: customerId, before, after: thresholds });
}

/**
 * A customer's daily Azure spend (Microsoft's BillingPreTaxTotal per usage date) from
 * `from` to `to`, per billing currency. Lines that arrived late for closed periods are
 * revisions of billed days, not new spend, and are left out.
 */
export async function loadDailySpend(db: Db, customerId: string, from: string, to: string): Promise<Map<string, DailySpend[]>> {
  const { rows } = await sql<{ usage_date: string; currency: string; amount: string }>`
    select usage_date::text as usage_date, billing_currency as currency, sum(billing_pre_tax_total)::text as amount
    from usage_lines
    where customer_id = ${customerId}::uuid and usage_date >= ${from}::date and usage_date <= ${to}::date and not late and billing_currency is not null
    group by usage_date, billing_currency
    order by usage_date`.execute(db);
  const byCurrency = new Map<string, DailySpend[]>();
  for (const r of rows) byCurrency.set(r.currency, [...(byCurrency.get(r.currency) ?? []), { date: r.usage_date, amount: new Decimal(r.amount) }]);
  return byCurrency;
}

/** The monthly Azure budget of the customer's latest quote, when it is in `currency`. */
export async function loadQuoteBaseline(db: Db, customerId: string, currency: string): Promise<{ monthlyBudget: Decimal; quoteId: string } | null> {
  const quote = await db
    .selectFrom('quotes')
    .select(['id', 'currency', 'azure_monthly_budget'])
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!quote || quote.currency !== currency || new Decimal(quote.azure_monthly_budget).lte(0)) return null;
  return { monthlyBudget: new Decimal(quote.azure_monthly_budget), quoteId: quote.id };
}

const SEVERITY_RANK = { warning: 1, critical: 2 } as const;

/**
 * Store what the rules found. A finding already stored for the same customer, rule and
 * subject is refreshed, not repeated; an alert (and its alert.raised notification) goes out
 * for a new finding and for one that became critical, never for a resolved one.
 */
export async function saveFindings(trx: Transaction<Database>, customerId: string, currency: string, findings: readonly AnomalyFinding[]): Promise<{ raised: number; refreshed: number }> {
  let raised = 0;
  let refreshed = 0;
  for (const f of findings) {
    const existing = await trx.selectFrom('anomalies').select(['id', 'severity', 'status']).where('customer_id', '=', customerId).where('rule', '=', f.rule).where('subject', '=', f.subject).forUpdate().executeTakeFirst();
    if (existing?.status === 'resolved') continue;
    const escalated = existing !== undefined && SEVERITY_RANK[f.severity] > SEVERITY_RANK[existing.severity as keyof typeof SEVERITY_RANK];
    let alertId: string | undefined;
    if (!existing || escalated) {
      const alert = await trx
        .insertInto('alerts')
        .values({
          kind: `anomaly.${f.rule}`,
          severity: f.severity,
          customer_id: customerId,
          message: f.message,
          detail: JSON.stringify({ rule: f.rule, subject: f.subject, amountAtStake: f.amountAtStake.toFixed(minorUnits(currency)), currency, evidence: f.evidence }),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await publishEvent(trx, alertRaised(alert));
      alertId = alert.id;
      raised++;
    } else {
      refreshed++;
    }
    const values = {
      severity: f.severity,
      observed_on: f.observedOn,
      amount_at_stake: f.amountAtStake.toFixed(minorUnits(currency)),
      currency,
      message: f.message,
      evidence: JSON.stringify(f.evidence),
      ...(alertId ? { alert_id: alertId } : {}),
    };
    if (existing) await trx.updateTable('anomalies').set(values).where('id', '=', existing.id).execute();
    else await trx.insertInto('anomalies').values({ customer_id: customerId, rule: f.rule, subject: f.subject, ...values }).execute();
  }
  return { raised, refreshed };
}

/** Acknowledge or resolve an anomaly with a reason; its alert follows. Undefined when there is no such anomaly. */
export async function setAnomalyStatus(trx: Transaction<Database>, id: string, status: 'acknowledged' | 'resolved', reason: string, actor: ActorContext): Promise<AnomalyRow | 'already_resolved' | undefined> {
  const row = await trx.selectFrom('anomalies').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) return undefined;
  if (row.status === 'resolved') return 'already_resolved';
  const updated = await trx
    .updateTable('anomalies')
    .set({ status, status_reason: reason, status_by: actor.actor, status_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (row.alert_id) await trx.updateTable('alerts').set({ status }).where('id', '=', row.alert_id).execute();
  await writeAudit(trx, { ...actor, action: `anomaly.${status === 'acknowledged' ? 'acknowledge' : 'resolve'}`, entity: 'anomaly', entityId: id, before: { status: row.status }, after: { status }, justification: reason });
  return updated;
}
