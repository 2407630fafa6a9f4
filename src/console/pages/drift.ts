import type { FastifyInstance } from 'fastify';
import { query, type ApiPage } from '../api.ts';
import { html } from '../html.ts';
import { money, pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// Drift findings: where a copy of a field in another system differs from its owner's
// value, filtered by status, customer, system and field on the server, each resolved by
// pushing the owner's value, accepting the other value, or ignoring it, always with a reason.

interface Finding {
  id: string;
  customerId: string;
  customerName: string;
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
/** Customers offered in the filter: one page by name; a customer beyond it is still reached by its name's link in a row. */
const CUSTOMER_CHOICES = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function driftPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/drift', async ({ api, viewer, query: q }) => {
    const status = STATUSES.includes(q.status ?? '') ? q.status! : 'open';
    const system = q.system?.trim() || undefined;
    const field = q.field?.trim() || undefined;
    const customerId = UUID.test(q.customerId ?? '') ? q.customerId : undefined;
    const list = await api.get<ApiPage<Finding>>(`/v1/drift-findings${query({ status, customerId, system, field, limit: 25, cursor: q.cursor })}`);
    const customers = await api.get<ApiPage<{ id: string; name: string }>>(`/v1/customers${query({ limit: CUSTOMER_CHOICES })}`);
    const choices = [...customers.items].sort((a, b) => a.name.localeCompare(b.name));
    if (customerId && !choices.some((c) => c.id === customerId)) choices.unshift({ id: customerId, name: list.items[0]?.customerName ?? customerId });
    const canResolve = hasRole(viewer, RESOLVERS);
    const rows = list.items.map(
      (f) => html`<tr><td>${f.field}</td><td>${f.subject}</td><td><a href="/console/drift${query({ status, customerId: f.customerId, system, field })}" title="Only this customer's findings">${f.customerName}</a></td>
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
  <label for="customerId">Customer</label>
  <select id="customerId" name="customerId"><option value="">All customers</option>${choices.map((c) => html`<option value="${c.id}"${c.id === customerId ? html` selected` : ''}>${c.name}</option>`)}</select>
  <label for="system">System</label>
  <input id="system" name="system" value="${system ?? ''}" maxlength="100">
  <label for="field">Field</label>
  <input id="field" name="field" value="${field ?? ''}" maxlength="100">
  <button type="submit">Filter</button>
</form>
${table('Drift findings', ['Field', 'Subject', 'Customer', 'Owner value', 'Other value', 'At stake a month', 'Action'], rows, `No ${status} drift findings.`)}
${pager('/console/drift', { status, customerId, system, field }, list.nextCursor, Boolean(q.cursor))}`,
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
