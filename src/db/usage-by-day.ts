import { sql } from 'kysely';
import type { Db } from './database.ts';

export interface UsageDayRow {
  usage_date: string;
  category: string;
  amount: string;
}

/**
 * A customer's Azure usage of a closed month at the prices it was invoiced at, per day and
 * charge category: each lineage row's amount (the invoice's price for its source lines,
 * after allocation) spread over its usage lines by their share of what the rule priced
 * them on (quantity under a unit price, Microsoft's cost under a markup; equal shares when
 * that sums to zero), then summed per day and category and rounded to the invoice's minor
 * unit. Adjustments for earlier months are left out: they belong to those months' days.
 * Without a period, the latest month invoiced. Empty when the month has no issued invoice.
 *
 * @example
 *   await usageByDay(db, customerId, '2026-10') // { invoice: {…}, rows: [{ usage_date: '2026-10-01', category: 'compute', amount: '12.34' }, …] }
 */
export async function usageByDay(db: Db, customerId: string, period: string | undefined) {
  let query = db.selectFrom('invoices').select(['id', 'period', 'currency', 'minor_units']).where('customer_id', '=', customerId).where('status', '=', 'issued');
  if (period) query = query.where('period', '=', period);
  const invoice = await query.orderBy('period', 'desc').orderBy('revision', 'desc').executeTakeFirst();
  if (!invoice) return { invoice: undefined, rows: [] as UsageDayRow[] };
  const { rows } = await sql<UsageDayRow>`
    with spread as (
      select s.id, coalesce(l.category, 'other') as category, s.allocated_amount, u.usage_date,
        case when s.unit_price is not null then coalesce(u.quantity, 0) else coalesce(u.billing_pre_tax_total, 0) end as weight
      from invoice_lines l
      join invoice_line_sources s on s.invoice_line_id = l.id and s.source_kind = 'usage'
      cross join lateral unnest(s.usage_line_ids) as source(usage_line_id)
      join usage_lines u on u.id = source.usage_line_id
      where l.invoice_id = ${invoice.id} and l.adjustment_id is null
    ), shared as (
      select usage_date, category, allocated_amount *
        case when sum(weight) over w <> 0 then weight / sum(weight) over w else 1.0 / count(*) over w end as amount
      from spread window w as (partition by id)
    )
    select to_char(usage_date, 'YYYY-MM-DD') as usage_date, category, round(sum(amount), ${invoice.minor_units})::text as amount
    from shared group by usage_date, category order by usage_date, category`.execute(db);
  return { invoice, rows };
}
