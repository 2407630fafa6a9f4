import type { FastifyInstance } from 'fastify';
import { query } from '../api.ts';
import { html } from '../html.ts';
import { pager, table } from '../layout.ts';
import { diffVersions, matchOf, priceOf, type VersionLike } from '../rate-card-diff.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// Rate card versions awaiting approval: the list, and one version with what it changes
// against the version pricing now, its approvals so far, and approve / reject (with a reason).

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Summary {
  id: string;
  name: string;
  customerId: string | null;
  template: boolean;
  latestVersion: { version: number; status: string };
  activeVersion: number | null;
}
interface Version extends VersionLike {
  status: string;
  justification: string | null;
  requestedBy: string;
  approvals: { role: string; decision: string; actor: string; comment: string | null; createdAt: string }[];
  awaiting: string[];
}
interface Card {
  id: string;
  name: string;
  versions: Version[];
}

const APPROVERS = ['finance', 'sales_ops'];
const REJECTERS = ['admin', 'finance', 'sales_ops'];

export function rateCardPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/rate-cards', async ({ api, query: q }) => {
    const list = await api.get<Page<Summary>>(`/v1/rate-cards${query({ pending: true, limit: 25, cursor: q.cursor })}`);
    const rows = list.items.map(
      (c) => html`<tr><td><a href="/console/rate-cards/${c.id}/versions/${c.latestVersion.version}">${c.name}</a></td>
        <td>${c.template ? 'template' : 'customer card'}</td><td class="num">${c.latestVersion.version}</td><td>${c.latestVersion.status}</td><td class="num">${c.activeVersion ?? '—'}</td></tr>`,
    );
    return {
      title: 'Rate card approvals',
      path: '/console/rate-cards',
      body: html`${table('Rate cards awaiting approval', ['Card', 'Kind', 'Version', 'Status', 'Pricing now'], rows, 'No rate card version awaits approval.')}
${pager('/console/rate-cards', {}, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'GET', '/console/rate-cards/:id/versions/:v', async ({ api, params, viewer, query: q }) => {
    const card = await api.get<Card>(`/v1/rate-cards/${encodeURIComponent(params.id!)}`);
    const proposed = card.versions.find((v) => String(v.version) === params.v);
    if (!proposed) return { title: 'Not found', body: html`<p role="alert">${card.name} has no version ${params.v}.</p>` };
    const current = card.versions.filter((v) => v.version < proposed.version && ['approved', 'superseded'].includes(v.status)).pop();
    const changes = diffVersions(current, proposed);
    const base = `/console/rate-cards/${card.id}/versions/${proposed.version}`;
    const decisions = proposed.approvals.map((a) => html`<li>${a.decision} as ${a.role} by ${a.actor}${a.comment ? `: ${a.comment}` : ''} (${a.createdAt})</li>`);
    const pending = proposed.status === 'pending';
    return {
      title: `${card.name}, version ${proposed.version}`,
      body: html`${q.done ? html`<p role="status" class="ok">Your ${q.done === 'approved' ? 'approval' : 'rejection'} is recorded.</p>` : ''}
<p>Status: <strong>${proposed.status}</strong>${pending && proposed.awaiting.length ? `, awaiting ${proposed.awaiting.join(' and ')}` : ''}. Requested by ${proposed.requestedBy}${proposed.justification ? `: “${proposed.justification}”` : ''}.</p>
<h2>Changes against ${current ? `version ${current.version}` : 'no approved version'}</h2>
${table('Changes', ['What', 'Before', 'After'], changes.map((c) => html`<tr><th scope="row">${c.what}</th><td>${c.before}</td><td class="after">${c.after}</td></tr>`), 'No change.')}
<h2>Rules of version ${proposed.version}</h2>
${table('Rules', ['Match', 'Price'], proposed.rules.map((r) => html`<tr><td>${matchOf(r)}</td><td>${priceOf(r)}</td></tr>`), 'No rules of its own (a template prices it).')}
${decisions.length ? html`<h2>Decisions</h2><ul>${decisions}</ul>` : ''}
${pending && hasRole(viewer, APPROVERS)
  ? html`<form method="post" action="${base}/approve" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <label for="comment">Comment (optional)</label>
  <input id="comment" name="comment" maxlength="2000">
  <button type="submit">Approve</button>
</form>`
  : ''}
${pending && hasRole(viewer, REJECTERS)
  ? html`<form method="post" action="${base}/reject" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <label for="reason">Reason for rejecting</label>
  <textarea id="reason" name="reason" required maxlength="2000"></textarea>
  <button type="submit" class="danger">Reject</button>
</form>`
  : ''}`,
    };
  });

  consoleRoute(app, 'POST', '/console/rate-cards/:id/versions/:v/approve', async ({ api, params, form }) => {
    const comment = form.comment?.trim();
    await api.send('POST', `/v1/rate-cards/${encodeURIComponent(params.id!)}/versions/${encodeURIComponent(params.v!)}/approve`, form._csrf, comment ? { comment } : {});
    return { redirect: `/console/rate-cards/${params.id}/versions/${params.v}?done=approved` };
  });

  consoleRoute(app, 'POST', '/console/rate-cards/:id/versions/:v/reject', async ({ api, params, form }) => {
    await api.send('POST', `/v1/rate-cards/${encodeURIComponent(params.id!)}/versions/${encodeURIComponent(params.v!)}/reject`, form._csrf, { reason: form.reason ?? '' });
    return { redirect: `/console/rate-cards/${params.id}/versions/${params.v}?done=rejected` };
  });
}
