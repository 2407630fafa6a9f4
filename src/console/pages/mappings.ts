import type { FastifyInstance } from 'fastify';
import { query, type ApiPage, type ConnectionSummary } from '../api.ts';
import { html } from '../html.ts';
import { pager, table } from '../layout.ts';
import { consoleRoute, type PageContext } from '../routing.ts';
import { hasRole } from '../session.ts';

// Field mappings: per connection the mapping in force for each object, its rules, and a
// draft (the rules as JSON) previewed against the last records the hub read, field by
// field before and after. The preview writes nothing; saving stays with the API.

interface Mapping {
  provider: string;
  object: string;
  description: string;
  version: number;
  builtIn: boolean;
  rules: { id: string; target: string; source?: string; transform: { type: string } }[];
  reason: string | null;
  createdBy: string | null;
  createdAt: string | null;
}
interface Preview {
  version: number | 'draft';
  inForce: number;
  records: { label: string; fields: { target: string; before: unknown; after: unknown; changed: boolean }[]; problems: { rule: string; field: string; reason: string }[] }[];
}

const PREVIEWERS = ['admin', 'billing_ops'];
const shown = (value: unknown) => (value === null || value === undefined ? '—' : String(value));

export function mappingPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/mappings', async ({ api, query: q }) => {
    const list = await api.get<ApiPage<ConnectionSummary>>(`/v1/connections${query({ limit: 25, cursor: q.cursor })}`);
    const rows = list.items.map((c) => html`<tr><td><a href="/console/connections/${c.id}/mappings">${c.name}</a></td><td>${c.provider}</td><td>${c.status}</td></tr>`);
    return {
      title: 'Field mappings',
      path: '/console/mappings',
      body: html`${table('Connections', ['Connection', 'Provider', 'Status'], rows, 'No connections.')}
${pager('/console/mappings', {}, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'GET', '/console/connections/:id/mappings', async ({ api, params }) => {
    const id = encodeURIComponent(params.id!);
    const list = await api.get<{ items: Mapping[] }>(`/v1/connections/${id}/mappings`);
    const rows = list.items.map(
      (m) => html`<tr><td><a href="/console/connections/${params.id!}/mappings/${m.object}">${m.object}</a></td><td>${m.description}</td><td class="num">${m.version}${m.builtIn ? ' (built in)' : ''}</td></tr>`,
    );
    return { title: 'Field mappings of the connection', path: '/console/mappings', body: table('Mappings', ['Object', 'What it maps', 'Version in force'], rows, 'This provider maps no objects.') };
  });

  const detail = async (ctx: PageContext, draft: string | undefined) => {
    const { api, params, viewer, form } = ctx;
    const base = `/v1/connections/${encodeURIComponent(params.id!)}/mappings/${encodeURIComponent(params.object!)}`;
    const mapping = await api.get<Mapping>(base);
    let preview = html``;
    if (draft !== undefined) {
      let rules: unknown;
      try {
        rules = JSON.parse(draft);
      } catch {
        rules = undefined;
      }
      if (!Array.isArray(rules)) preview = html`<p role="alert" class="error">The draft must be a JSON array of rules.</p>`;
      else {
        const answer = await api.call<Preview & { detail?: string }>('POST', `${base}/preview`, form._csrf ? { 'x-csrf-token': form._csrf } : {}, { rules, last: 10 });
        preview =
          answer.status === 200
            ? html`<h2>Preview of the draft against version ${answer.body.inForce}</h2>
${answer.body.records.length === 0 ? html`<p class="empty">The hub has read no records of this object yet.</p>` : ''}
${answer.body.records.map(
  (r) => html`<h3>${r.label}</h3>
${table(r.label, ['Field', 'Before', 'After'], r.fields.map((f) => html`<tr${f.changed ? html` class="changed"` : ''}><th scope="row">${f.target}${f.changed ? ' (changes)' : ''}</th><td>${shown(f.before)}</td><td class="after">${shown(f.after)}</td></tr>`))}
${r.problems.length ? html`<ul class="error">${r.problems.map((p) => html`<li>${p.rule}: ${p.reason}</li>`)}</ul>` : ''}`,
)}`
            : html`<p role="alert" class="error">The draft was refused: ${answer.body.detail ?? `the API answered ${answer.status}`}</p>`;
      }
    }
    const url = `/console/connections/${params.id!}/mappings/${params.object!}`;
    return {
      title: `${mapping.provider} ${mapping.object} mapping, version ${mapping.version}`,
      path: '/console/mappings',
      body: html`<p>${mapping.description}${mapping.builtIn ? ' The built-in default is in force.' : html` Saved by ${mapping.createdBy ?? '?'} (${mapping.createdAt ?? ''})${mapping.reason ? `: ${mapping.reason}` : ''}.`}</p>
${table('Rules', ['Rule', 'Source', 'Target', 'Transform'], mapping.rules.map((r) => html`<tr><td>${r.id}</td><td>${r.source ?? '—'}</td><td>${r.target}</td><td>${r.transform.type}</td></tr>`), 'No rules.')}
${preview}
${hasRole(viewer, PREVIEWERS)
  ? html`<form method="post" action="${url}/preview" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <label for="draft">Draft rules (JSON)</label>
  <textarea id="draft" name="draft" rows="14" spellcheck="false" required>${draft ?? JSON.stringify(mapping.rules, null, 2)}</textarea>
  <button type="submit">Preview the draft</button>
</form>`
  : ''}`,
    };
  };

  consoleRoute(app, 'GET', '/console/connections/:id/mappings/:object', (ctx) => detail(ctx, undefined));
  consoleRoute(app, 'POST', '/console/connections/:id/mappings/:object/preview', (ctx) => detail(ctx, ctx.form.draft ?? ''));
}
