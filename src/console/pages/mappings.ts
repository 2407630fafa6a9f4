import type { FastifyInstance } from 'fastify';
import { ApiRefusal, query, type ApiPage, type ConnectionSummary } from '../api.ts';
import { html } from '../html.ts';
import { pager, table } from '../layout.ts';
import { consoleRoute, type PageContext } from '../routing.ts';
import { hasRole } from '../session.ts';

// Field mappings: per connection the mapping in force for each object, its rules, and a
// draft (the rules as JSON) previewed against the last records the hub read, field by
// field before and after (writing nothing), then saved as a new version with a reason;
// the version history, and a rollback that puts an earlier version back as a new one.

interface Mapping {
  provider: string;
  object: string;
  description: string;
  version: number;
  builtIn: boolean;
  rules: { id: string; target: string; source?: string; transform: { type: string } }[];
  reason: string | null;
  copiedFrom: number | null;
  createdBy: string | null;
  createdAt: string | null;
}
interface Preview {
  version: number | 'draft';
  inForce: number;
  records: { label: string; fields: { target: string; before: unknown; after: unknown; changed: boolean }[]; problems: { rule: string; field: string; reason: string }[] }[];
}

const PREVIEWERS = ['admin', 'billing_ops'];
/** Roles the API lets save a version or roll back. */
const EDITORS = ['admin'];
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

  const detail = async (ctx: PageContext, draft: string | undefined, refusal?: string) => {
    const { api, params, viewer, form, query: q } = ctx;
    const base = baseOf(params);
    const mapping = await api.get<Mapping>(base);
    const versions = await api.get<{ items: Mapping[] }>(`${base}/versions`);
    let preview = html``;
    if (refusal !== undefined) preview = html`<p role="alert" class="error">The draft was not saved: ${refusal}</p>`;
    else if (draft !== undefined) {
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
    const canEdit = hasRole(viewer, EDITORS);
    const history = versions.items.map(
      (v) => html`<tr><td class="num">${v.version}${v.version === mapping.version ? ' (in force)' : ''}</td>
        <td>${v.version === 0 ? 'Built-in default' : (v.reason ?? '—')}${v.copiedFrom !== null ? ` (copy of version ${v.copiedFrom})` : ''}</td>
        <td>${v.createdBy ?? '—'}</td><td>${v.createdAt ?? '—'}</td>
        <td>${canEdit && v.version !== mapping.version ? rollbackForm(url, v.version, viewer.csrfToken) : '—'}</td></tr>`,
    );
    return {
      title: `${mapping.provider} ${mapping.object} mapping, version ${mapping.version}`,
      path: '/console/mappings',
      body: html`${q.done ? html`<p role="status" class="ok">${q.done}</p>` : ''}
<p>${mapping.description}${mapping.builtIn ? ' The built-in default is in force.' : html` Saved by ${mapping.createdBy ?? '?'} (${mapping.createdAt ?? ''})${mapping.reason ? `: ${mapping.reason}` : ''}.`}</p>
${table('Rules', ['Rule', 'Source', 'Target', 'Transform'], mapping.rules.map((r) => html`<tr><td>${r.id}</td><td>${r.source ?? '—'}</td><td>${r.target}</td><td>${r.transform.type}</td></tr>`), 'No rules.')}
${preview}
${hasRole(viewer, PREVIEWERS)
  ? html`<form method="post" action="${url}/preview" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <label for="draft">Draft rules (JSON)</label>
  <textarea id="draft" name="draft" rows="14" spellcheck="false" required>${draft ?? JSON.stringify(mapping.rules, null, 2)}</textarea>
  <button type="submit">Preview the draft</button>
${canEdit
  ? html`  <label for="reason">Reason for a new version</label>
  <input id="reason" name="reason" maxlength="2000">
  <button type="submit" formaction="${url}/save">Save as a new version</button>`
  : ''}
</form>`
  : ''}
${table('Versions', ['Version', 'Reason', 'By', 'When', 'Roll back'], history)}`,
    };
  };

  consoleRoute(app, 'GET', '/console/connections/:id/mappings/:object', (ctx) => detail(ctx, undefined));
  consoleRoute(app, 'POST', '/console/connections/:id/mappings/:object/preview', (ctx) => detail(ctx, ctx.form.draft ?? ''));

  // Saving goes through PUT, which checks the rules and refuses naming the rule: the page
  // then keeps the draft and says why, instead of losing the admin's edit.
  consoleRoute(app, 'POST', '/console/connections/:id/mappings/:object/save', async (ctx) => {
    const draft = ctx.form.draft ?? '';
    let rules: unknown;
    try {
      rules = JSON.parse(draft);
    } catch {
      return detail(ctx, draft, 'the draft must be a JSON array of rules');
    }
    const answer = await ctx.api.call<Mapping & { detail?: string }>('PUT', baseOf(ctx.params), ctx.form._csrf ? { 'x-csrf-token': ctx.form._csrf } : {}, { rules, reason: ctx.form.reason ?? '' });
    if (answer.status !== 200) {
      if (answer.status === 401 || answer.status === 403) throw new ApiRefusal(answer.status, answer.body.detail ?? `the API answered ${answer.status}`);
      return detail(ctx, draft, answer.body.detail ?? `the API answered ${answer.status}`);
    }
    return { redirect: `${consoleUrl(ctx.params)}?done=${encodeURIComponent(`Saved as version ${answer.body.version}.`)}` };
  });

  consoleRoute(app, 'POST', '/console/connections/:id/mappings/:object/rollback', async ({ api, params, form }) => {
    const version = Number(form.version);
    const saved = await api.send<Mapping>('POST', `${baseOf(params)}/rollback`, form._csrf, { version: Number.isInteger(version) ? version : -1, reason: form.reason ?? '' });
    return { redirect: `${consoleUrl(params)}?done=${encodeURIComponent(`Version ${saved.body.copiedFrom} is back in force as version ${saved.body.version}.`)}` };
  });
}

const baseOf = (params: Record<string, string>) => `/v1/connections/${encodeURIComponent(params.id!)}/mappings/${encodeURIComponent(params.object!)}`;
const consoleUrl = (params: Record<string, string>) => `/console/connections/${encodeURIComponent(params.id!)}/mappings/${encodeURIComponent(params.object!)}`;

function rollbackForm(url: string, version: number, csrf: string) {
  return html`<form method="post" action="${url}/rollback" class="stack">
  <input type="hidden" name="_csrf" value="${csrf}">
  <input type="hidden" name="version" value="${version}">
  <label for="rollback-reason-${version}">Reason</label>
  <input id="rollback-reason-${version}" name="reason" required maxlength="2000">
  <button type="submit">Roll back to version ${version}</button>
</form>`;
}
