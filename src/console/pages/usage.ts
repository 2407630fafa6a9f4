import type { FastifyInstance } from 'fastify';
import { Decimal } from '../../engine/decimal.ts';
import { query } from '../api.ts';
import { html, raw } from '../html.ts';
import { monthFilter, monthParam, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { customerNav } from './customers.ts';

// A closed month's usage by day and category: a uPlot chart (assets/usage-chart.js reads
// the figures from a JSON block in the page) and, for everyone and every screen reader,
// the table behind it with exact amounts.

interface UsageByDay {
  period: string | null;
  currency: string | null;
  invoiceId: string | null;
  days: { date: string; category: string; amount: string }[];
}

/** The figures pivoted: one row per day, one column per category, and the day's total (decimal arithmetic). */
export function pivotUsage(days: UsageByDay['days']): { categories: string[]; rows: { date: string; amounts: (string | null)[]; total: string }[] } {
  const categories = [...new Set(days.map((d) => d.category))].sort();
  const byDate = new Map<string, Map<string, string>>();
  for (const d of days) byDate.set(d.date, (byDate.get(d.date) ?? new Map()).set(d.category, d.amount));
  const rows = [...byDate.keys()].sort().map((date) => {
    const amounts = categories.map((c) => byDate.get(date)!.get(c) ?? null);
    const total = amounts.reduce((sum: Decimal, a) => (a === null ? sum : sum.plus(a)), new Decimal(0));
    return { date, amounts, total: total.toFixed() };
  });
  return { categories, rows };
}

/** JSON placed inside a <script type="application/json"> block: "<" escaped so no text can close the block. */
const jsonBlock = (value: unknown) => raw(JSON.stringify(value).replace(/</g, '\\u003c'));

export function usagePages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/customers/:id/usage', async ({ api, params, query: q }) => {
    const id = encodeURIComponent(params.id!);
    const customer = await api.get<{ id: string; name: string }>(`/v1/customers/${id}`);
    const period = monthParam(q.period);
    const usage = await api.get<UsageByDay>(`/v1/customers/${customer.id}/usage-by-day${query({ period })}`);
    const { categories, rows } = pivotUsage(usage.days);
    const path = `/console/customers/${customer.id}/usage`;
    const tableRows = rows.map(
      (r) => html`<tr><th scope="row">${r.date}</th>${r.amounts.map((a) => html`<td class="num">${a ?? '—'}</td>`)}<td class="num">${r.total}</td></tr>`,
    );
    return {
      title: `${customer.name}: usage${usage.period ? ` in ${usage.period}` : ''}`,
      path,
      scripts: rows.length ? ['uplot/uPlot.iife.min.js', 'usage-chart.js'] : [],
      styles: rows.length ? ['uplot/uPlot.min.css'] : [],
      body: html`${customerNav(customer.id, path)}
${monthFilter(path, usage.period ?? period, 'Month', 'Show')}
${rows.length
  ? html`<p class="hint">Azure usage at your invoiced prices in ${usage.currency}, per day and charge category (the invoice's amounts spread over the days of the lines behind them).</p>
<figure class="chart"><div id="usage-chart" aria-hidden="true"></div><figcaption class="hint">The same figures as the table below.</figcaption></figure>
<script type="application/json" id="usage-data">${jsonBlock({ categories, rows, currency: usage.currency })}</script>
${table('Usage per day and category', ['Day', ...categories, 'Total'], tableRows)}`
  : html`<p class="empty">No invoiced usage for ${usage.period ?? period ?? 'any month'} yet: a month's usage shows here once it is closed.</p>`}`,
    };
  });
}
