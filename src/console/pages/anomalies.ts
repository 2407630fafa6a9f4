import type { FastifyInstance } from 'fastify';
import { query, type ApiPage } from '../api.ts';
import { html } from '../html.ts';
import { money, pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// Spend anomalies: the list filtered by status and rule (the API filters and pages), the
// figures each rule compared, and acknowledge / resolve, each with the reason the API asks.

interface Anomaly {
  id: string;
  customerId: string;
  rule: string;
  subject: string;
  severity: string;
  status: string;
  observedOn: string;
  amountAtStake: string;
  currency: string;
  message: string;
  evidence: Record<string, string | number | null>;
  statusReason: string | null;
  statusBy: string | null;
}

const STATUSES = ['open', 'acknowledged', 'resolved'];
const RULES = ['spend_above_forecast', 'spend_velocity'];
const TRIAGERS = ['admin', 'finance', 'billing_ops'];

export function anomalyPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/anomalies', async ({ api, viewer, query: q }) => {
    const status = STATUSES.includes(q.status ?? '') ? q.status! : 'open';
    const rule = RULES.includes(q.rule ?? '') ? q.rule : undefined;
    const list = await api.get<ApiPage<Anomaly>>(`/v1/anomalies${query({ status, rule, limit: 25, cursor: q.cursor })}`);
    const canTriage = hasRole(viewer, TRIAGERS);
    const rows = list.items.map(
      (a) => html`<tr><td>${a.observedOn}</td><td><a href="/console/customers/${a.customerId}">${a.customerId.slice(0, 8)}</a></td><td>${a.rule}</td><td>${a.severity}</td>
        <td class="num">${money(a.amountAtStake, a.currency)}</td><td>${a.message}
        <details><summary>Evidence</summary><dl>${Object.entries(a.evidence).map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '—'}</dd>`)}</dl></details>
        ${a.statusReason ? html`<p class="hint">${a.status} by ${a.statusBy ?? '?'}: ${a.statusReason}</p>` : ''}</td>
        <td>${canTriage && a.status !== 'resolved' ? triageForm(a, viewer.csrfToken) : a.status}</td></tr>`,
    );
    return {
      title: 'Anomalies',
      path: '/console/anomalies',
      body: html`${q.done ? html`<p role="status" class="ok">The anomaly is ${q.done === 'acknowledge' ? 'acknowledged' : 'resolved'}.</p>` : ''}
<form method="get" action="/console/anomalies" class="filters">
  <label for="status">Status</label>
  <select id="status" name="status">${STATUSES.map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select>
  <label for="rule">Rule</label>
  <select id="rule" name="rule"><option value="">any</option>${RULES.map((r) => html`<option${r === rule ? html` selected` : ''}>${r}</option>`)}</select>
  <button type="submit">Filter</button>
</form>
${table('Anomalies', ['Day', 'Customer', 'Rule', 'Severity', 'At stake', 'What', 'Action'], rows, `No ${status} anomalies.`)}
${pager('/console/anomalies', { status, rule }, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  for (const verb of ['acknowledge', 'resolve'] as const) {
    consoleRoute(app, 'POST', `/console/anomalies/:id/${verb}`, async ({ api, params, form }) => {
      await api.send('POST', `/v1/anomalies/${encodeURIComponent(params.id!)}/${verb}`, form._csrf, { reason: form.reason ?? '' });
      return { redirect: `/console/anomalies?done=${verb}` };
    });
  }
}

function triageForm(a: Anomaly, csrf: string) {
  const id = `reason-${a.id}`;
  return html`<form method="post" action="/console/anomalies/${a.id}/resolve" class="stack">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label for="${id}">Reason</label>
  <input id="${id}" name="reason" required maxlength="2000">
  ${a.status === 'open' ? html`<button type="submit" formaction="/console/anomalies/${a.id}/acknowledge">Acknowledge</button>` : ''}
  <button type="submit">Resolve</button>
</form>`;
}
