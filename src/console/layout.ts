import { html, type Html } from './html.ts';
import { navFor } from './nav.ts';
import type { Viewer } from './session.ts';

export interface PageOptions {
  title: string;
  viewer?: Viewer;
  /** Path of the current page, to mark its menu entry. */
  path?: string;
  body: Html;
  /** Extra scripts and stylesheets from /console/assets/. */
  scripts?: string[];
  styles?: string[];
}

/** The page shell: skip link, menu, sign-out, the main region. */
export function page(options: PageOptions): string {
  const { title, viewer, path, body, scripts = [], styles = [] } = options;
  const nav = viewer
    ? html`<header class="top">
        <nav aria-label="Console">
          <ul>${navFor(viewer).map((e) => html`<li><a href="${e.href}"${path === e.href ? html` aria-current="page"` : ''}>${e.label}</a></li>`)}</ul>
        </nav>
        <form method="post" action="/console/sign-out" class="sign-out">
          <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
          <span class="who">${viewer.name}</span> <button type="submit">Sign out</button>
        </form>
      </header>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Billing Hub</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
${styles.map((s) => html`<link rel="stylesheet" href="/console/assets/${s}">`)}
${scripts.map((s) => html`<script src="/console/assets/${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${nav}
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`.text;
}

/** A table in a box that scrolls sideways on a narrow screen instead of widening the page. */
export function table(label: string, head: string[], rows: Html[], empty = 'Nothing to show.'): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="table-wrap" role="region" aria-label="${label}" tabindex="0">
<table><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Links to the first and next page of a list the API pages with cursors. */
export function pager(path: string, params: Record<string, string | undefined>, nextCursor: string | null, hasPrevious: boolean): Html {
  const link = (cursor?: string) => {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...params, cursor })) if (v) search.set(k, v);
    const text = search.toString();
    return text ? `${path}?${text}` : path;
  };
  if (!nextCursor && !hasPrevious) return html``;
  return html`<nav class="pager" aria-label="Pages">${hasPrevious ? html`<a href="${link()}">First page</a>` : ''}${
    nextCursor ? html`<a href="${link(nextCursor)}" rel="next">Next page</a>` : ''
  }</nav>`;
}

/** An amount as the API gave it (a decimal string) with its currency: never through a JS number. */
export const money = (amount: string | null | undefined, currency: string | null | undefined) => (amount == null ? '—' : `${amount} ${currency ?? ''}`.trim());

/** A YYYY-MM query parameter, or undefined when absent or malformed (the page then shows its default). */
export const monthParam = (value: string | undefined) => (value && /^\d{4}-\d{2}$/.test(value) ? value : undefined);

/** A GET form choosing a month for the page at `path`. */
export function monthFilter(path: string, value: string | undefined, label: string, button: string): Html {
  return html`<form method="get" action="${path}" class="filters">
  <label for="period">${label}</label>
  <input id="period" name="period" type="month" value="${value ?? ''}">
  <button type="submit">${button}</button>
</form>`;
}
