import type { FastifyInstance } from 'fastify';
import { query, type ApiPage, type ConnectionSummary } from '../api.ts';
import { html } from '../html.ts';
import { table } from '../layout.ts';
import { queuesFor } from '../queues.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// The staff start page: each connection's last sync, the next month to close, and the
// open queues with their counts and the money they hold.

interface SyncRun {
  status: string;
  kind: string;
  finishedAt: string | null;
  startedAt: string | null;
}
interface BillingRun {
  id: string;
  period: string;
  status: string;
}
interface Alert {
  severity: string;
  kind: string;
  message: string;
  createdAt: string;
}

/** The month after `period` (YYYY-MM). */
export function nextPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** The month before today's (UTC): the first one a hub without closes would close. */
export function previousPeriod(today: Date): string {
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth(); // 0-based: this is last month's 1-based number
  return m === 0 ? `${y - 1}-12` : `${y}-${String(m).padStart(2, '0')}`;
}

export function dashboardPage(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/dashboard', async ({ api, viewer }) => {
    const sections = [];

    if (hasRole(viewer, ['admin', 'billing_ops', 'auditor'])) {
      const connections = await api.get<ApiPage<ConnectionSummary>>(`/v1/connections${query({ limit: 100 })}`);
      const rows = await Promise.all(
        connections.items.map(async (c) => {
          const runs = await api.get<ApiPage<SyncRun>>(`/v1/connections/${c.id}/sync-runs${query({ limit: 1 })}`);
          const last = runs.items[0];
          return html`<tr><td>${c.name}</td><td>${c.provider}</td><td>${c.status}</td>
            <td>${last ? `${last.kind}, ${last.status}` : 'never synced'}</td><td>${last?.finishedAt ?? last?.startedAt ?? '—'}</td></tr>`;
        }),
      );
      sections.push(html`<section aria-labelledby="syncs"><h2 id="syncs">Connections</h2>
${table('Last sync per connection', ['Connection', 'Vendor', 'Status', 'Last sync', 'When'], rows, 'No connections yet.')}</section>`);
    }

    if (hasRole(viewer, ['admin', 'finance', 'billing_ops', 'auditor'])) {
      const runs = await api.get<ApiPage<BillingRun>>(`/v1/billing-runs${query({ limit: 1 })}`);
      const last = runs.items[0];
      const next = last ? nextPeriod(last.period) : previousPeriod(new Date());
      sections.push(html`<section aria-labelledby="close"><h2 id="close">Next close</h2>
<p>${last ? html`Last closed: <a href="/console/billing-runs/${last.id}">${last.period}</a> (${last.status}). ` : 'No month closed yet. '}Next to close: <strong>${next}</strong>.</p>
${hasRole(viewer, ['admin', 'finance', 'billing_ops']) ? html`<p><a href="/console/close?period=${next}">Close ${next}</a></p>` : ''}</section>`);
    }

    const queues = await Promise.all(queuesFor(viewer).map(async (q) => ({ q, figure: await q.read(api) })));
    const queueRows = queues.map(
      ({ q, figure }) => html`<tr><td><a href="${q.href}">${q.label}</a></td><td class="num">${figure.count}${figure.more ? '+' : ''}</td>
        <td class="num">${figure.money ? Object.entries(figure.money).map(([c, a]) => `${a} ${c}`).join(', ') || '—' : '—'}</td></tr>`,
    );
    sections.push(html`<section aria-labelledby="queues"><h2 id="queues">Open queues</h2>
${table('Open queues', ['Queue', 'Open', 'Money at stake'], queueRows)}</section>`);

    const alerts = await api.get<ApiPage<Alert>>(`/v1/alerts${query({ status: 'open', limit: 10 })}`);
    sections.push(html`<section aria-labelledby="alerts"><h2 id="alerts">Open alerts</h2>
${table('Open alerts', ['Severity', 'Kind', 'Message', 'Since'], alerts.items.map((a) => html`<tr><td>${a.severity}</td><td>${a.kind}</td><td>${a.message}</td><td>${a.createdAt}</td></tr>`), 'No open alerts.')}</section>`);

    return { title: 'Dashboard', path: '/console/dashboard', body: html`${sections}` };
  });
}
