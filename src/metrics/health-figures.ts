import { sql } from 'kysely';
import type { Db } from '../db/database.ts';
import { Decimal } from '../engine/decimal.ts';
import { groupMarginVariance, type GroupMarginVariance } from './margin-variance.ts';

/** A customer whose card names no template is priced on its own terms: its own group. */
export const NO_TEMPLATE_GROUP = '(own card)';

export interface SyncLag {
  connectionId: string;
  provider: string;
  name: string;
  /** When the latest sync that finished (succeeded or partial) ended; null when none has. */
  lastSyncedAt: string | null;
  lagSeconds: number | null;
}

export interface TagCompliance {
  billingRunId: string;
  period: string;
  currency: string;
  totalCost: string;
  compliantCost: string;
  share: string | null;
}

export interface JobQueue {
  task: string;
  /** Not yet taken by a worker (due now or scheduled later), failed attempts included. */
  queued: number;
  running: number;
  /** Queued again after a failed attempt. */
  retrying: number;
  /** Out of attempts: graphile-worker keeps them until someone looks. */
  failed: number;
}

/** Invoice e-mails asked for in the last 30 days, by outcome. */
export interface InvoiceDeliveryFigures {
  pending: number;
  sent: number;
  bounced: number;
  failed: number;
  /** sent ÷ (sent + bounced + failed) to 4 decimals; null when none has settled. */
  successRatio: string | null;
}

/** The figures an operator watches, read from PostgreSQL so every process reports the same. */
export interface HealthFigures {
  measuredAt: string;
  syncLag: SyncLag[];
  tagCompliance: TagCompliance[];
  jobs: JobQueue[];
  marginPeriod: string | null;
  marginVariance: GroupMarginVariance[];
  invoiceDelivery: InvoiceDeliveryFigures;
}

export async function loadHealthFigures(db: Db, now: Date = new Date()): Promise<HealthFigures> {
  const [syncLag, tagCompliance, jobs, margin, invoiceDelivery] = await Promise.all([
    loadSyncLag(db, now),
    loadTagCompliance(db),
    loadJobQueues(db),
    loadMarginVariance(db),
    loadInvoiceDelivery(db, now),
  ]);
  return { measuredAt: now.toISOString(), syncLag, tagCompliance, jobs, ...margin, invoiceDelivery };
}

async function loadInvoiceDelivery(db: Db, now: Date): Promise<InvoiceDeliveryFigures> {
  const since = new Date(now.getTime() - 30 * 86_400_000);
  const rows = await db.selectFrom('invoice_deliveries').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).where('created_at', '>=', since).groupBy('status').execute();
  const count = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  const [pending, sent, bounced, failed] = [count('pending'), count('sent'), count('bounced'), count('failed')];
  const settled = sent + bounced + failed;
  return { pending, sent, bounced, failed, successRatio: settled === 0 ? null : new Decimal(sent).div(settled).toDecimalPlaces(4).toString() };
}

async function loadSyncLag(db: Db, now: Date): Promise<SyncLag[]> {
  const rows = await db
    .selectFrom('connections as c')
    .leftJoin('sync_runs as s', (j) => j.onRef('s.connection_id', '=', 'c.id').on('s.status', 'in', ['succeeded', 'partial']))
    .select(['c.id', 'c.provider', 'c.name', (eb) => eb.fn.max('s.finished_at').as('last')])
    .groupBy(['c.id', 'c.provider', 'c.name'])
    .orderBy('c.name')
    .orderBy('c.id')
    .execute();
  return rows.map((r) => {
    const last = r.last ? new Date(r.last as Date) : null;
    return {
      connectionId: r.id,
      provider: r.provider,
      name: r.name,
      lastSyncedAt: last?.toISOString() ?? null,
      lagSeconds: last ? Math.max(0, Math.round((now.getTime() - last.getTime()) / 1000)) : null,
    };
  });
}

/** Per billing currency, over the customers of the latest finished billing run that had required tags. */
async function loadTagCompliance(db: Db): Promise<TagCompliance[]> {
  const { rows } = await sql<{ run_id: string; period: string; currency: string; total: string; compliant: string }>`
    with latest as (
      select id, period from billing_runs
      where finished_at is not null
      order by finished_at desc, id desc limit 1)
    select l.id as run_id, l.period, c.tag_compliance->>'currency' as currency,
           sum((c.tag_compliance->>'totalCost')::numeric)::text as total,
           sum((c.tag_compliance->>'compliantCost')::numeric)::text as compliant
    from latest l join billing_run_customers c on c.billing_run_id = l.id
    where c.tag_compliance->>'share' is not null and c.tag_compliance->>'currency' is not null
    group by l.id, l.period, c.tag_compliance->>'currency'
    order by currency`.execute(db);
  return rows.map((r) => {
    const total = new Decimal(r.total);
    return {
      billingRunId: r.run_id,
      period: r.period,
      currency: r.currency,
      totalCost: r.total,
      compliantCost: r.compliant,
      share: total.isZero() ? null : new Decimal(r.compliant).div(total).toDecimalPlaces(6).toString(),
    };
  });
}

async function loadJobQueues(db: Db): Promise<JobQueue[]> {
  const { rows } = await sql<{ task: string; queued: number; running: number; retrying: number; failed: number }>`
    select task_identifier as task,
           count(*) filter (where locked_at is null and attempts < max_attempts)::int as queued,
           count(*) filter (where locked_at is not null)::int as running,
           count(*) filter (where locked_at is null and attempts > 0 and attempts < max_attempts)::int as retrying,
           count(*) filter (where attempts >= max_attempts)::int as failed
    from graphile_worker.jobs
    group by task_identifier
    order by task_identifier`.execute(db);
  return rows;
}

/** The latest period with issued invoices, grouped by the template each customer's card inherits from. */
async function loadMarginVariance(db: Db): Promise<{ marginPeriod: string | null; marginVariance: GroupMarginVariance[] }> {
  const { rows } = await sql<{ period: string; group_name: string | null; currency: string; price: string | null; margin: string | null; target: string | null }>`
    with latest as (select max(period) as period from invoices where status = 'issued')
    select i.period, t.name as group_name, i.currency,
           i.margin->'total'->>'price' as price, i.margin->'total'->>'margin' as margin,
           i.margin->'total'->>'targetMarginPercent' as target
    from invoices i
    join latest on latest.period = i.period
    join rate_cards rc on rc.id = i.rate_card_id
    left join rate_cards t on t.id = rc.template_id
    where i.status = 'issued' and i.margin->'total' is not null and jsonb_typeof(i.margin->'total') = 'object'`.execute(db);
  const priced = rows.filter((r) => r.price !== null && r.margin !== null);
  return {
    marginPeriod: rows[0]?.period ?? null,
    marginVariance: groupMarginVariance(
      priced.map((r) => ({ group: r.group_name ?? NO_TEMPLATE_GROUP, currency: r.currency, price: r.price!, margin: r.margin!, targetMarginPercent: r.target })),
    ),
  };
}
