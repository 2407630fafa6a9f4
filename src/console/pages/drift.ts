import type { FastifyInstance } from 'fastify';
import { query, type ApiPage } from '../api.ts';
import { html } from '../html.ts';
import { money, pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// Drift findings: where a copy of a field in another system differs from its owner's
// value, filtered by status, system and field on the server, each resolved by pushing the
// owner's value, accepting the other value, or ignoring it, always with a reason.

interface Finding {
  id: string;
  customerId: string;
  system: string;
  field: string;
  subject: string;
  owner: string;
  ownerValue: string | null;
  otherValue: string | null;
  moneyAtStakePerMonth: string | null;
  currency: string | null;
  status: string;
  resolution: string | null;
  resolutionNote: string | null;
  resolvedBy: string | null;
}

const STATUSES = ['open', 'resolving', 'awaiting-approval', 'resolved', 'ignored', 'closed'];
const ACTIONS = [
  ['push-owner-value', "Push the owner's value"],
  ['accept-other-value', 'Accept the other value'],
  ['ignore', 'Ignore'],
] as const;
const RESOLVERS = ['admin', 'finance', 'sales_ops'];

export function driftPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/drift', async ({ api, viewer, query: q }) => {
    const status = STATUSES.includes(q.status ?? '') ? q.status! : 'open';
    const system = q.system?.trim() || undefined;
    const field = q.field?.trim() || undefined;
    const list = await api.get<ApiPage<Finding>>(`/v1/drift-findings${query({ status, system, field, limit: 25, cursor: q.cursor })}`);
    const canResolve = hasRole(viewer, RESOLVERS);
    const rows = list.items.map(
      (f) => html`<tr><td>${f.field}</td><td>${f.subject}</td><td><a href="/console/customers/${f.customerId}">${f.customerId.slice(0, 8)}</a></td>
        <td>${f.owner}: ${f.ownerValue ?? '—'}</td><td>${f.system}: ${f.otherValue ?? '—'}</td>
        <td class="num">${f.moneyAtStakePerMonth === null ? '—' : money(f.moneyAtStakePerMonth, f.currency)}</td>
        <td>${canResolve && f.status === 'open' ? resolveForm(f, viewer.csrfToken) : html`${f.status}${f.resolution ? html` (${f.resolution} by ${f.resolvedBy ?? '?'}${f.resolutionNote ? `: ${f.resolutionNote}` : ''})` : ''}`}</td></tr>`,
    );
    return {
      title: 'Drift findings',
      path: '/console/drift',
      body: html`${q.done ? html`<p role="status" class="ok">Resolution recorded: ${q.done}.</p>` : ''}
<form method="get" action="/console/drift" class="filters">
  <label for="status">Status</label>
  <select id="status" name="status">${STATUSES.map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select>
  <label for="system">System</label>
  <input id="system" name="system" value="${system ?? ''}" maxlength="100">
  <label for="field">Field</label>
  <input id="field" name="field" value="${field ?? ''}" maxlength="100">
  <button type="submit">Filter</button>
</form>
${table('Drift findings', ['Field', 'Subject', 'Customer', 'Owner value', 'Other value', 'At stake a month', 'Action'], rows, `No ${status} drift findings.`)}
${pager('/console/drift', { status, system, field }, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'POST', '/console/drift/:id/resolve', async ({ api, params, form }) => {
    await api.send('POST', `/v1/drift-findings/${encodeURIComponent(params.id!)}/resolve`, form._csrf, { action: form.action ?? '', reason: form.reason ?? '' });
    return { redirect: `/console/drift?done=${encodeURIComponent(form.action ?? '')}` };
  });
}

function resolveForm(f: Finding, csrf: string) {
  return html`<form method="post" action="/console/drift/${f.id}/resolve" class="stack">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label for="action-${f.id}">Resolve by</label>
  <select id="action-${f.id}" name="action">${ACTIONS.map(([value, label]) => html`<option value="${value}">${label}</option>`)}</select>
  <label for="reason-${f.id}">Reason</label>
  <input id="reason-${f.id}" name="reason" required maxlength="2000">
  <button type="submit">Resolve</button>
</form>`;
}
