import type { FastifyInstance } from 'fastify';
import { query } from '../api.ts';
import { html } from '../html.ts';
import { money, monthParam, pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';
import { documentLinks } from './customers.ts';
import { previousPeriod } from './dashboard.ts';

// Close a month: start a billing run, watch its progress live (assets/close-progress.js
// polls the run through the API), and see the invoices it issued.

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface BillingRun {
  id: string;
  period: string;
  status: string;
  progress: { customersDone: number; customersTotal: number; pendingJobs: number; errors: number };
  report: { customers: { total: number; issued: number; reused: number; unpriced: number; noRateCard: number; failed: number } };
  errors?: { message: string }[];
  startedAt: string | null;
  finishedAt: string | null;
}
interface Invoice {
  id: string;
  number: string;
  customerName: string;
  status: string;
  currency: string;
  totals: { total: string };
}

const CLOSERS = ['admin', 'finance', 'billing_ops'];
const FINISHED = new Set(['succeeded', 'partial', 'failed']);

export function closePages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/close', async ({ api, viewer, query: q }) => {
    const runs = await api.get<Page<BillingRun>>(`/v1/billing-runs${query({ limit: 25, cursor: q.cursor })}`);
    const period = monthParam(q.period) ?? previousPeriod(new Date());
    const rows = runs.items.map(
      (r) => html`<tr><td><a href="/console/billing-runs/${r.id}">${r.period}</a></td><td>${r.status}</td>
        <td class="num">${r.progress.customersDone} / ${r.progress.customersTotal}</td><td>${r.finishedAt ?? r.startedAt ?? '—'}</td></tr>`,
    );
    const form = hasRole(viewer, CLOSERS)
      ? html`<form method="post" action="/console/close" class="stack">
  <input type="hidden" name="_csrf" value="${viewer.csrfToken}">
  <label for="period">Month to close</label>
  <input id="period" name="period" type="month" required value="${period}">
  <button type="submit">Close the month</button>
</form>`
      : html`<p>Your key may watch closes but not start one.</p>`;
    return {
      title: 'Close a month',
      path: '/console/close',
      body: html`${form}<h2>Billing runs</h2>${table('Billing runs', ['Period', 'Status', 'Customers', 'When'], rows, 'No month closed yet.')}${pager('/console/close', {}, runs.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'POST', '/console/close', async ({ api, form }) => {
    const answer = await api.send<{ id: string }>('POST', '/v1/billing-runs', form._csrf, { period: form.period ?? '' });
    return { redirect: `/console/billing-runs/${answer.body.id}` };
  });

  consoleRoute(app, 'GET', '/console/billing-runs/:id', async ({ api, params }) => {
    const run = await api.get<BillingRun>(`/v1/billing-runs/${encodeURIComponent(params.id!)}?customers=false`);
    const done = FINISHED.has(run.status);
    const invoices = done ? await api.get<Page<Invoice>>(`/v1/invoices${query({ period: run.period, status: 'issued', limit: 100 })}`) : { items: [], nextCursor: null };
    const c = run.report.customers;
    const rows = invoices.items.map(
      (i) => html`<tr><td><a href="/console/invoices/${i.id}">${i.number}</a></td><td>${i.customerName}</td><td class="num">${money(i.totals.total, i.currency)}</td><td>${documentLinks(i.id, i.number)}</td></tr>`,
    );
    return {
      title: `Close of ${run.period}`,
      scripts: done ? [] : ['close-progress.js'],
      body: html`<div id="run" data-run="${run.id}" data-finished="${done ? 'yes' : 'no'}">
<p role="status" aria-live="polite" id="run-status">Status: <strong>${run.status}</strong>. ${run.progress.customersDone} of ${run.progress.customersTotal} customers done.</p>
<progress id="run-progress" max="${Math.max(run.progress.customersTotal, 1)}" value="${run.progress.customersDone}" aria-label="Customers closed"></progress>
</div>
${done
  ? html`<p>Issued ${c.issued}, reused ${c.reused}, held (unpriced) ${c.unpriced}, without a rate card ${c.noRateCard}, failed ${c.failed}.</p>
${(run.errors ?? []).length ? html`<ul class="errors">${run.errors!.map((e) => html`<li>${e.message}</li>`)}</ul>` : ''}
<h2>Invoices of ${run.period}</h2>
${table(`Invoices of ${run.period}`, ['Invoice', 'Customer', 'Total', 'Download'], rows, 'No invoices issued.')}`
  : html`<p class="hint">This page follows the run and shows its invoices when it finishes.</p>`}`,
    };
  });
}
