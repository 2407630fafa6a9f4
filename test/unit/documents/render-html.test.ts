import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../../src/engine/types.ts';
import { type DocumentFormat, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { escapeHtml, renderHtml } from '../../../src/documents/render-html.ts';
import { bhdInvoice, header, jpyInvoice, usdInvoice } from './fixtures.ts';

const formats: DocumentFormat[] = ['detailed', 'summary'];
const html = (invoice: Invoice, format: DocumentFormat, overrides = {}): string => renderHtml(toInvoiceDocument(invoice, header(overrides)), format).toString('utf8');

describe('renderHtml: totals formatted in the currency', () => {
  it.each([
    ['USD', usdInvoice, '4,395.30', ['1,419.74', '115.00']],
    ['JPY', jpyInvoice, '444,226', ['141,974', '11,500']],
    ['BHD', bhdInvoice, '4,307.812', ['1,419.752', '93.560']],
  ] as const)('%s', (currency, build, total, amounts) => {
    for (const format of formats) {
      const page = html(build(), format);
      expect(page).toContain(`<tr class="total"><th scope="row">Total due (${currency})</th><td class="num">${total}</td></tr>`);
      expect(page).toContain(`<dt>Amount due (${currency})</dt><dd>${total}</dd>`);
      if (format === 'detailed') for (const amount of amounts) expect(page).toContain(`<td class="num">${amount}</td>`);
    }
  });

  it('JPY shows the rounding line in the totals block', () => {
    expect(html(jpyInvoice(), 'summary')).toContain('<tr><th scope="row">Rounding difference (invoice total rounded once)</th><td class="num">1</td></tr>');
  });
});

describe('renderHtml: escaping and self-containment', () => {
  const notes = ['Pay to "Northwind" <script>alert(1)</script> & thanks'];

  it('escapes every text it prints', () => {
    for (const format of formats) {
      const page = html(usdInvoice(), format, { notes, subscriptionNames: { 'azure-sub-1': "O'Brien <prod>" } });
      expect(page).toContain('<strong>Smith &amp; Sons &lt;Ltd&gt;</strong>');
      expect(page).toContain('<title>Invoice INV-2026-0042 – Smith &amp; Sons &lt;Ltd&gt; – November 2026</title>');
      expect(page).toContain('<li>Pay to &quot;Northwind&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; thanks</li>');
      expect(page).not.toContain('<Ltd>');
      expect(page).not.toContain('<script');
      if (format === 'detailed') expect(page).toContain('Subscription O&#39;Brien &lt;prod&gt; <span class="detail">azure-sub-1</span>');
    }
    expect(escapeHtml(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&#39;f');
  });

  it('is one printable page with nothing to fetch', () => {
    const page = html(usdInvoice(), 'detailed');
    expect(page.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('@page { size: A4;');
    expect(page).toContain('thead { display: table-header-group; }');
    expect(page).not.toMatch(/\b(src|href)=|@import|url\(/);
  });

  it('detailed groups by subscription and resource group; summary by category', () => {
    const detailed = html(usdInvoice(), 'detailed');
    // The subscription by its name, its id in small print under it.
    expect(detailed).toContain('<tr class="group group-1"><th scope="rowgroup" colspan="5">Subscription Production <span class="detail">azure-sub-1</span></th><td class="num">4,085.30</td></tr>');
    expect(detailed).toContain('<tr class="group group-2"><th scope="rowgroup" colspan="5">Resource group rg-erp-prod</th><td class="num">3,991.74</td></tr>');
    expect(detailed).toContain('<tr class="section"><th scope="rowgroup" colspan="5">Late usage (October 2026)</th><td class="num">115.00</td></tr>');
    expect(detailed).toContain('<td>D2s v3<div class="detail">meter-d2s-v3 · Cost node: Contoso › Finance · 1 source line</div></td><td>Compute</td><td class="num">1,200</td><td>1 Hour</td><td class="num">1.183117</td><td class="num">1,419.74</td>');
    const summary = html(usdInvoice(), 'summary');
    expect(summary).toContain('<tr class="line"><td>Databases</td><td class="num">1</td><td class="num">2,200.00</td></tr>');
    expect(summary).not.toContain('meter-d2s-v3');
  });

  it('is deterministic: the same invoice renders the same bytes', () => {
    for (const format of formats) {
      const a = renderHtml(toInvoiceDocument(usdInvoice(), header()), format);
      const b = renderHtml(toInvoiceDocument(usdInvoice(), header()), format);
      expect(a.equals(b)).toBe(true);
    }
  });
});
