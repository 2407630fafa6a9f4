import type { FastifyInstance } from 'fastify';
import { query, type ApiPage } from '../api.ts';
import { html } from '../html.ts';
import { pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// The PSA to-do queue: seat differences between Microsoft and the PSA with their evidence,
// a dry run of the writes approving the ticked ones would make, and approve / dismiss
// (dismissing says why). Approving only queues the write; a job makes it.

interface PsaTodo {
  id: string;
  customerId: string;
  kind: string;
  sku: string;
  product: string | null;
  agreementId: string | null;
  status: string;
  evidence: { microsoftQuantity: string; microsoftAsOf: string | null; psaQuantity: string | null; psaUnitPrice: string | null; approvedUnitPrice: string | null };
  requestedBy: string | null;
  decidedBy: string | null;
  reason: string | null;
}
interface Preview {
  writes: { todoId: string; status: string; write: unknown }[];
}

const STATUSES = ['open', 'approved', 'written', 'dismissed', 'superseded', 'failed'];
const DECIDERS = ['finance', 'sales_ops'];
const PREVIEWERS = ['admin', 'finance', 'sales_ops'];

export function psaTodoPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/psa-todos', async ({ api, viewer, query: q }) => {
    const status = STATUSES.includes(q.status ?? '') ? q.status! : 'open';
    const list = await api.get<ApiPage<PsaTodo>>(`/v1/psa-todos${query({ status, limit: 25, cursor: q.cursor })}`);
    const canDecide = status === 'open' && hasRole(viewer, DECIDERS);
    const canPreview = status === 'open' && hasRole(viewer, PREVIEWERS) && list.items.length > 0;
    const rows = list.items.map(
      (t) => html`<tr>${canPreview ? html`<td><input type="checkbox" form="preview" name="pick:${t.id}" value="1" id="pick-${t.id}" aria-label="Preview ${t.sku}"></td>` : ''}
        <td><a href="/console/customers/${t.customerId}">${t.customerId.slice(0, 8)}</a></td><td>${t.kind}</td><td>${t.sku}${t.product ? html`<br>PSA: ${t.product}` : ''}</td>
        <td class="num">${t.evidence.microsoftQuantity}${t.evidence.microsoftAsOf ? html`<br><span class="hint">as of ${t.evidence.microsoftAsOf}</span>` : ''}</td>
        <td class="num">${t.evidence.psaQuantity ?? '—'}</td><td class="num">${t.evidence.psaUnitPrice ?? '—'}</td><td class="num">${t.evidence.approvedUnitPrice ?? '—'}</td>
        <td>${canDecide ? decideForms(t, viewer.csrfToken) : html`${t.status}${t.decidedBy ? ` by ${t.decidedBy}` : ''}${t.reason ? `: ${t.reason}` : ''}`}</td></tr>`,
    );
    const head = [...(canPreview ? ['Pick'] : []), 'Customer', 'Kind', 'SKU', 'Microsoft seats', 'PSA seats', 'PSA unit price', 'Approved price', canDecide ? 'Decide' : 'Status'];
    return {
      title: 'PSA to-dos',
      path: '/console/psa-todos',
      body: html`${q.done ? html`<p role="status" class="ok">The to-do is ${q.done === 'approve' ? 'approved: a job writes it to the PSA' : 'dismissed'}.</p>` : ''}
<form method="get" action="/console/psa-todos" class="filters">
  <label for="status">Status</label>
  <select id="status" name="status">${STATUSES.map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select>
  <button type="submit">Filter</button>
</form>
${table('PSA to-dos', head, rows, `No ${status} PSA to-dos.`)}
${canPreview
  ? html`<form method="post" action="/console/psa-todos/preview" id="preview" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <button type="submit">Preview the writes for the ticked to-dos</button>
</form>`
  : ''}
${pager('/console/psa-todos', { status }, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'POST', '/console/psa-todos/preview', async ({ api, form }) => {
    // Each checkbox has a name of its own (the form parser keeps one value per name).
    const ids = Object.keys(form).filter((name) => name.startsWith('pick:')).map((name) => name.slice('pick:'.length));
    if (ids.length === 0) return { title: 'Preview', body: html`<p role="alert">Tick at least one to-do to preview.</p><p><a href="/console/psa-todos">Back to the queue</a></p>` };
    const preview = (await api.send<Preview>('POST', '/v1/psa-todos/preview', form._csrf, { ids })).body;
    return {
      title: 'Preview of the PSA writes',
      body: html`<p>Nothing has been written. Approving these to-dos would make these calls to the PSA:</p>
${table('Planned writes', ['To-do', 'Status', 'Write'], preview.writes.map((w) => html`<tr><td>${w.todoId.slice(0, 8)}</td><td>${w.status}</td><td><pre>${w.write === null ? 'none: no agreement to add the product to' : JSON.stringify(w.write, null, 2)}</pre></td></tr>`))}
<p><a href="/console/psa-todos">Back to the queue</a></p>`,
    };
  });

  for (const verb of ['approve', 'dismiss'] as const) {
    consoleRoute(app, 'POST', `/console/psa-todos/:id/${verb}`, async ({ api, params, form }) => {
      const payload = verb === 'dismiss' ? { reason: form.reason ?? '' } : form.comment?.trim() ? { comment: form.comment.trim() } : {};
      await api.send('POST', `/v1/psa-todos/${encodeURIComponent(params.id!)}/${verb}`, form._csrf, payload);
      return { redirect: `/console/psa-todos?done=${verb}` };
    });
  }
}

function decideForms(t: PsaTodo, csrf: string) {
  return html`<form method="post" action="/console/psa-todos/${t.id}/approve" class="stack">
  <input type="hidden" name="_csrf" value="${csrf}">
  <button type="submit">Approve</button>
</form>
<form method="post" action="/console/psa-todos/${t.id}/dismiss" class="stack">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label for="reason-${t.id}">Reason to dismiss</label>
  <input id="reason-${t.id}" name="reason" required maxlength="2000">
  <button type="submit" class="danger">Dismiss</button>
</form>`;
}
