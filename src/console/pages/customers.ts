import type { FastifyInstance } from 'fastify';
import { query } from '../api.ts';
import { html } from '../html.ts';
import { money, monthFilter, monthParam, pager, table } from '../layout.ts';
import { consoleRoute } from '../routing.ts';
import { hasRole } from '../session.ts';

// A customer's pages, as its client sees them (the portal) and as staff see them on the
// client's behalf: subscriptions, invoices with their documents, one invoice with its
// lines (and, for roles the API lets read lineage, each line's sources on click).

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Customer {
  id: string;
  name: string;
  status: string;
  billingCurrency: string;
}
interface Subscription {
  id: string;
  name: string;
  skuId: string | null;
  quantity: number;
  unitType: string | null;
  status: string;
  billingCycle: string | null;
  termDuration: string | null;
  autoRenew: boolean | null;
  renewalDate: string | null;
}
interface PortalInvoice {
  id: string;
  number: string;
  customerId: string;
  customerName: string;
  period: string;
  revision: number;
  status: string;
  currency: string;
  totals: { charges: string; adjustments: string; labour: string; minimum: string; rounding: string; total: string };
  subtotalsByCategory: Record<string, string>;
  lines?: { id: string; position: number; description: string; category: string | null; quantity: string | null; amount: string }[];
}
interface Lineage {
  number: string;
  currency: string;
  lines: {
    id: string;
    description: string;
    amount: string;
    exactAmount: string;
    sources: {
      kind: string;
      count: number;
      rateCard: { id: string; version: number };
      rule: { id: string; basis: string | null; markupPercent: string | null; unitPrice: string | null };
      fx: { source: string; from: string; to: string; rate: string; rateDate: string | null } | null;
      allocation: { costNodeName: string | null; percent: string; amount: string; ruleId: string | null; ruleVersion: number | null };
      quantity: string;
      price: string;
    }[];
  }[];
}

/** Roles the API lets read an invoice's lineage (GET /v1/invoices/{id}/lineage). */
const LINEAGE_READERS = ['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor'];
const PAGE_SIZE = 25;

export const customerNav = (id: string, current: string) =>
  html`<nav class="tabs" aria-label="Customer">${[
    [`/console/customers/${id}`, 'Subscriptions'],
    [`/console/customers/${id}/invoices`, 'Invoices'],
    [`/console/customers/${id}/usage`, 'Usage'],
  ].map(([href, label]) => html`<a href="${href}"${href === current ? html` aria-current="page"` : ''}>${label}</a>`)}</nav>`;

export const documentLinks = (invoiceId: string, number: string) =>
  html`<a href="/v1/invoices/${invoiceId}/document?type=pdf" download aria-label="PDF of ${number}">PDF</a> ·
    <a href="/v1/invoices/${invoiceId}/document?type=csv" download aria-label="CSV of ${number}">CSV</a>`;

export function customerPages(app: FastifyInstance): void {
  consoleRoute(app, 'GET', '/console/customers', async ({ api, query: q }) => {
    const list = await api.get<Page<Customer>>(`/v1/customers${query({ limit: PAGE_SIZE, cursor: q.cursor })}`);
    const rows = list.items.map((c) => html`<tr><td><a href="/console/customers/${c.id}">${c.name}</a></td><td>${c.status}</td><td>${c.billingCurrency}</td></tr>`);
    return {
      title: 'Customers',
      path: '/console/customers',
      body: html`${table('Customers', ['Name', 'Status', 'Currency'], rows, 'No customers yet.')}${pager('/console/customers', {}, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'GET', '/console/customers/:id', async ({ api, params, query: q }) => {
    const customer = await api.get<Customer>(`/v1/customers/${encodeURIComponent(params.id!)}`);
    const status = q.status;
    const subs = await api.get<Page<Subscription>>(`/v1/customers/${customer.id}/subscriptions${query({ limit: PAGE_SIZE, cursor: q.cursor, status })}`);
    const rows = subs.items.map(
      (s) => html`<tr><td>${s.name}</td><td class="num">${s.quantity}</td><td>${s.unitType ?? ''}</td><td>${s.status}</td>
        <td>${[s.termDuration, s.billingCycle].filter(Boolean).join(' · ')}</td><td>${s.renewalDate ?? '—'}</td><td>${s.autoRenew === null ? '—' : s.autoRenew ? 'yes' : 'no'}</td></tr>`,
    );
    const path = `/console/customers/${customer.id}`;
    return {
      title: customer.name,
      path,
      body: html`${customerNav(customer.id, path)}
<h2>Subscriptions</h2>
<form method="get" action="${path}" class="filters">
  <label for="status">Status</label>
  <select id="status" name="status">${['', 'active', 'suspended', 'deleted', 'expired'].map(
    (s) => html`<option value="${s}"${s === (status ?? '') ? html` selected` : ''}>${s || 'any'}</option>`,
  )}</select>
  <button type="submit">Filter</button>
</form>
${table('Subscriptions', ['Subscription', 'Seats', 'Unit', 'Status', 'Term', 'Renews on', 'Auto-renew'], rows, 'No subscriptions.')}
${pager(path, { status }, subs.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'GET', '/console/customers/:id/invoices', async ({ api, params, query: q }) => {
    const customer = await api.get<Customer>(`/v1/customers/${encodeURIComponent(params.id!)}`);
    const period = monthParam(q.period);
    const list = await api.get<Page<PortalInvoice>>(`/v1/portal/invoices${query({ customerId: customer.id, period, limit: PAGE_SIZE, cursor: q.cursor })}`);
    const rows = list.items.map(
      (i) => html`<tr><td><a href="/console/invoices/${i.id}">${i.number}</a></td><td>${i.period}</td><td>${i.status}</td>
        <td class="num">${money(i.totals.total, i.currency)}</td><td>${documentLinks(i.id, i.number)}</td></tr>`,
    );
    const path = `/console/customers/${customer.id}/invoices`;
    return {
      title: `${customer.name}: invoices`,
      path,
      body: html`${customerNav(customer.id, path)}
${monthFilter(path, period, 'Period', 'Filter')}
${table('Invoices', ['Invoice', 'Period', 'Status', 'Total', 'Download'], rows, 'No invoices.')}
${pager(path, { period }, list.nextCursor, Boolean(q.cursor))}`,
    };
  });

  consoleRoute(app, 'GET', '/console/invoices/:id', async ({ api, params, viewer }) => {
    const invoice = await api.get<PortalInvoice>(`/v1/portal/invoices/${encodeURIComponent(params.id!)}`);
    const lineage = hasRole(viewer, LINEAGE_READERS);
    const rows = (invoice.lines ?? []).map(
      (l) => html`<tr><td>${l.position}</td><td>${lineage ? html`<a href="/console/invoices/${invoice.id}/lines/${l.id}">${l.description}</a>` : l.description}</td>
        <td>${l.category ?? ''}</td><td class="num">${l.quantity ?? ''}</td><td class="num">${l.amount}</td></tr>`,
    );
    const totals = Object.entries(invoice.totals).map(([k, v]) => html`<div><dt>${k}</dt><dd>${money(v, invoice.currency)}</dd></div>`);
    return {
      title: `Invoice ${invoice.number}`,
      body: html`<p><a href="/console/customers/${invoice.customerId}/invoices">${invoice.customerName}'s invoices</a></p>
<p>Period ${invoice.period}, revision ${invoice.revision}, ${invoice.status}. Download: ${documentLinks(invoice.id, invoice.number)}</p>
<dl class="totals">${totals}</dl>
${lineage ? html`<p class="hint">Choose a line to see the source lines, rate card rule, exchange rate and allocation behind it.</p>` : ''}
${table('Invoice lines', ['#', 'Line', 'Category', 'Quantity', `Amount (${invoice.currency})`], rows, 'No lines.')}`,
    };
  });

  consoleRoute(app, 'GET', '/console/invoices/:id/lines/:lineId', async ({ api, params }) => {
    const lineage = await api.get<Lineage>(`/v1/invoices/${encodeURIComponent(params.id!)}/lineage`);
    const line = lineage.lines.find((l) => l.id === params.lineId);
    if (!line) return { title: 'Not found', body: html`<p role="alert">Invoice ${lineage.number} has no such line.</p>` };
    const rows = line.sources.map(
      (s) => html`<tr><td>${s.count} ${s.kind} line${s.count === 1 ? '' : 's'}</td><td>v${s.rateCard.version} · ${s.rule.id}</td>
        <td>${s.rule.unitPrice ? `unit price ${s.rule.unitPrice}` : `${s.rule.basis ?? ''} + ${s.rule.markupPercent ?? '0'} %`}</td>
        <td>${s.fx ? `${s.fx.from}→${s.fx.to} ${s.fx.rate} (${s.fx.source}${s.fx.rateDate ? `, ${s.fx.rateDate}` : ''})` : '—'}</td>
        <td>${s.allocation.costNodeName ?? ''} ${s.allocation.percent} %${s.allocation.ruleId ? ` (rule v${s.allocation.ruleVersion})` : ''}</td>
        <td class="num">${s.quantity}</td><td class="num">${s.allocation.amount}</td></tr>`,
    );
    return {
      title: `Lineage of “${line.description}”`,
      body: html`<p><a href="/console/invoices/${params.id}">Back to invoice ${lineage.number}</a></p>
<p>Amount ${money(line.amount, lineage.currency)} (exact ${line.exactAmount}).</p>
${table('Sources of the line', ['Source lines', 'Rate card rule', 'Price', 'Exchange rate', 'Allocation', 'Quantity', 'Amount'], rows, 'No sources.')}`,
    };
  });
}
