import { sql } from 'kysely';
import { Decimal, ZERO } from '../engine/decimal.ts';
import { addDays, periodBounds } from '../engine/dates.ts';
import { budgetPercent, seatVariances, thresholdsPassed, type PassedThreshold, type SeatVariance } from '../engine/quote-variance.ts';
import type { Db } from './database.ts';

// Reads what the variance report compares, per customer with a quote, for one period:
//
// - the quote: the customer's newest quote revision won by the end of the period (its
//   deal's close date, else when the hub recorded it, in the billing time zone): its seats
//   per SKU, monthly Azure budget, thresholds and currency;
// - Microsoft's seats: per licence subscription, the seats of its latest charge line of
//   the period (the latest revision of each line, refunds left out), summed per SKU;
//   before Microsoft has any licence line for the customer's period, the quantities of
//   its active subscriptions as last synced;
// - Microsoft's Azure cost: the period's daily usage lines, summed per billing currency;
//   a late revision (stored after the close) replaces the frozen line it supersedes, and
//   of several revisions of one line the newest counts;
// - the price: the Azure charges (lines priced from usage) of the period's issued invoice,
//   once the period is closed.

export type SeatsSource = 'license_lines' | 'subscriptions' | 'none';

export interface VarianceFlag {
  type: 'seats_above_quote' | 'seats_below_quote' | 'azure_budget_passed' | 'azure_currency_differs';
  severity: 'info' | 'warning' | 'critical';
  sku?: string;
  thresholdPercent?: number;
  detail: string;
}

export interface CustomerQuoteVariance {
  customerId: string;
  customerName: string;
  quoteId: string;
  dealId: string;
  revision: number;
  currency: string;
  seatsSource: SeatsSource;
  seats: SeatVariance[];
  azure: {
    budget: Decimal;
    thresholdPercents: number[];
    /** Microsoft's cost in the quote's currency; null when Microsoft bills the usage in another currency. */
    cost: Decimal | null;
    costCurrencies: string[];
    costPercent: Decimal | null;
    passed: PassedThreshold[];
    invoiceId: string | null;
    price: Decimal | null;
    pricePercent: Decimal | null;
  };
  flags: VarianceFlag[];
}

interface QuoteRow {
  id: string;
  deal_id: string;
  revision: number;
  customer_id: string;
  customer_name: string;
  currency: string;
  azure_monthly_budget: string;
  budget_alert_percents: number[];
}

/** The variance of every customer with a quote (or of one), sorted by customer name. */
export async function quoteVariance(db: Db, period: string, options: { timeZone: string; customerId?: string }): Promise<CustomerQuoteVariance[]> {
  const { start, end } = periodBounds(period);
  const periodEnd = sql`(${addDays(end, 1)}::date::timestamp at time zone ${options.timeZone})`;
  const only = options.customerId ? sql`and q.customer_id = ${options.customerId}::uuid` : sql``;
  const quotes = (
    await sql<QuoteRow>`
      select distinct on (q.customer_id) q.id, q.deal_id, q.revision, q.customer_id, c.name as customer_name, q.currency,
        q.azure_monthly_budget::text, q.budget_alert_percents
      from quotes q join customers c on c.id = q.customer_id
      where coalesce(q.closed_at, q.created_at) < ${periodEnd} ${only}
      order by q.customer_id, q.created_at desc, q.revision desc`.execute(db)
  ).rows;
  if (quotes.length === 0) return [];
  const ids = quotes.map((q) => q.customer_id);
  const quoteIds = quotes.map((q) => q.id);

  const [expected, licensed, subscribed, usage, invoiced] = await Promise.all([
    db.selectFrom('quote_expected_seats').select(['quote_id', 'sku', sql<string>`seats::text`.as('seats')]).where('quote_id', 'in', quoteIds).execute(),
    sql<{ customer_id: string; sku: string; seats: string }>`
      with latest as (
        select distinct on (l.customer_id, l.subscription_id) l.customer_id, l.product_id || ':' || l.sku_id as sku,
          coalesce(l.billable_quantity, l.quantity) as seats
        from license_lines l
        where l.customer_id = any(${ids}::uuid[]) and l.charge_period = ${period}
          and coalesce(l.effective_unit_price, 0) >= 0 and coalesce(l.billable_quantity, l.quantity, 0) > 0
          and not exists (select 1 from license_lines n where n.supersedes_id = l.id)
        order by l.customer_id, l.subscription_id, l.charge_start_date desc nulls last, l.charge_end_date desc nulls last, l.revision desc, l.first_seen_at desc
      )
      select customer_id, sku, sum(seats)::text as seats from latest group by customer_id, sku`.execute(db),
    sql<{ customer_id: string; sku: string; seats: string }>`
      select customer_id, split_part(offer_id, ':', 1) || ':' || split_part(offer_id, ':', 2) as sku, sum(quantity)::text as seats
      from subscriptions
      where customer_id = any(${ids}::uuid[]) and status = 'active' and quantity > 0 and offer_id like '%:%'
      group by 1, 2`.execute(db),
    sql<{ customer_id: string; currency: string; cost: string }>`
      select u.customer_id, coalesce(u.billing_currency, u.pricing_currency, '') as currency, sum(u.billing_pre_tax_total)::text as cost
      from usage_lines u
      where u.customer_id = any(${ids}::uuid[]) and u.usage_date >= ${start}::date and u.usage_date <= ${end}::date
        and not exists (select 1 from usage_lines n where n.supersedes_id = u.id)
        and not exists (select 1 from usage_lines n where u.supersedes_id is not null and n.supersedes_id = u.supersedes_id and n.id > u.id)
      group by 1, 2`.execute(db),
    sql<{ customer_id: string; invoice_id: string; currency: string; price: string }>`
      select i.customer_id, i.id as invoice_id, i.currency,
        coalesce((select sum(il.amount) from invoice_lines il
                  where il.invoice_id = i.id and il.kind = 'charge'
                    and exists (select 1 from invoice_line_sources s where s.invoice_line_id = il.id and s.source_kind = 'usage')), 0)::text as price
      from invoices i
      where i.customer_id = any(${ids}::uuid[]) and i.period = ${period} and i.status = 'issued'`.execute(db),
  ]);

  const seatMap = (rows: { sku: string; seats: string }[]) => new Map(rows.map((r) => [r.sku, new Decimal(r.seats)]));
  return quotes
    .map((q) => {
      const fromLines = licensed.rows.filter((r) => r.customer_id === q.customer_id);
      const fromSubscriptions = subscribed.rows.filter((r) => r.customer_id === q.customer_id);
      const seatsSource: SeatsSource = fromLines.length > 0 ? 'license_lines' : fromSubscriptions.length > 0 ? 'subscriptions' : 'none';
      const microsoft = seatMap(seatsSource === 'license_lines' ? fromLines : fromSubscriptions);
      const seats = seatVariances(seatMap(expected.filter((e) => e.quote_id === q.id)), microsoft);

      const costs = usage.rows.filter((r) => r.customer_id === q.customer_id);
      const costCurrencies = costs.map((r) => r.currency).sort();
      const sameCurrency = costs.every((r) => r.currency === q.currency);
      const cost = sameCurrency ? costs.reduce((s, r) => s.plus(r.cost), ZERO) : null;
      const budget = new Decimal(q.azure_monthly_budget);
      const invoice = invoiced.rows.find((r) => r.customer_id === q.customer_id && r.currency === q.currency);
      const price = invoice ? new Decimal(invoice.price) : null;
      const passed = cost === null ? [] : thresholdsPassed(cost, budget, q.budget_alert_percents);

      const flags: VarianceFlag[] = [];
      for (const s of seats) {
        if (s.difference.isZero()) continue;
        const above = s.difference.greaterThan(ZERO);
        flags.push({
          type: above ? 'seats_above_quote' : 'seats_below_quote',
          severity: 'info',
          sku: s.sku,
          detail: `${s.sku}: Microsoft ${s.microsoft.toString()} seats, quoted ${s.quoted.toString()} (${above ? '+' : ''}${s.difference.toString()})`,
        });
      }
      const top = passed[passed.length - 1];
      if (top && cost) {
        flags.push({
          type: 'azure_budget_passed',
          severity: top.severity,
          thresholdPercent: top.percent,
          detail: `Azure cost ${cost.toFixed(2)} ${q.currency} is ${budgetPercent(cost, budget)!.toFixed(2)} % of the quoted ${budget.toFixed(2)}, over the ${top.percent} % threshold`,
        });
      }
      if (!sameCurrency) {
        flags.push({ type: 'azure_currency_differs', severity: 'info', detail: `Microsoft bills this customer's Azure usage in ${costCurrencies.join(', ')}, the quote is in ${q.currency}: not compared` });
      }
      return {
        customerId: q.customer_id,
        customerName: q.customer_name,
        quoteId: q.id,
        dealId: q.deal_id,
        revision: q.revision,
        currency: q.currency,
        seatsSource,
        seats,
        azure: {
          budget,
          thresholdPercents: [...q.budget_alert_percents].sort((a, b) => a - b),
          cost,
          costCurrencies,
          costPercent: cost === null ? null : budgetPercent(cost, budget),
          passed,
          invoiceId: invoice?.invoice_id ?? null,
          price,
          pricePercent: price === null ? null : budgetPercent(price, budget),
        },
        flags,
      };
    })
    .sort((a, b) => (a.customerName < b.customerName ? -1 : a.customerName > b.customerName ? 1 : a.customerId < b.customerId ? -1 : 1));
}
