import type { FastifyInstance } from 'fastify';
import { query } from '../api.ts';
import { html } from '../html.ts';
import { pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';

// Won CRM deals the hub could not turn into billing setup, open or resolved.

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface QuoteException {
  dealName: string;
  crm: { system: string; dealId: string };
  status: string;
  reason: string;
  problems: { name?: string; reason: string }[];
  attempts: number;
  updatedAt: string;
}

export function quoteExceptionPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/quote-exceptions', async ({ api, query: q }) => {
    const status = q.status === 'resolved' ? 'resolved' : 'open';
    const list = await api.get<Page<QuoteException>>(`/v1/quote-exceptions${query({ status, limit: 25, cursor: q.cursor })}`);
    const rows = list.items.map(
      (x) => html`<tr><td>${x.dealName}</td><td>${x.crm.system} ${x.crm.dealId}</td><td>${x.reason}</td>
        <td><ul class="plain">${x.problems.map((p) => html`<li>${p.name ? `${p.name}: ` : ''}${p.reason}</li>`)}</ul></td><td class="num">${x.attempts}</td><td>${x.updatedAt}</td></tr>`,
    );
    return {
      title: 'Quote exceptions',
      path: '/console/quote-exceptions',
      body: html`<form method="get" action="/console/quote-exceptions" class="filters">
  <label for="status">Status</label>
  <select id="status" name="status">${['open', 'resolved'].map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select>
  <button type="submit">Filter</button>
</form>
${table('Quote exceptions', ['Deal', 'In the CRM', 'Reason', 'Problems', 'Wins', 'Last seen'], rows, `No ${status} quote exceptions.`)}
${pager('/console/quote-exceptions', { status }, list.nextCursor, Boolean(q.cursor))}`,
    };
  });
}
