import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../../src/engine/types.ts';
import { type DocumentFormat, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { renderPdf, winAnsi } from '../../../src/documents/render-pdf.ts';
import { SMB_COST_NODES, bhdInvoice, enterpriseInvoice, header, jpyInvoice, smbInvoice, usdInvoice } from './fixtures.ts';
import { extractPdfText } from './helpers.ts';

const formats: DocumentFormat[] = ['detailed', 'summary'];

/** The string right after the last `label` on the page (a label and its figure are drawn one after the other). */
function after(page: string[], label: string): string | undefined {
  const i = page.lastIndexOf(label);
  return i === -1 ? undefined : page[i + 1];
}

describe('renderPdf: open the PDF text and find the invoice number and the totals', () => {
  it.each([
    ['USD', usdInvoice, '4,395.30', '4,280.30'],
    ['JPY', jpyInvoice, '444,226', '432,725'],
    ['BHD', bhdInvoice, '4,307.812', '4,192.812'],
  ] as const)('%s', async (currency, build, total, charges) => {
    for (const format of formats) {
      const pdf = await renderPdf(toInvoiceDocument(build(), header()), format);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const { pages } = extractPdfText(pdf);
      const first = pages[0] ?? [];
      const last = pages.at(-1) ?? [];
      expect(after(first, 'Invoice number')).toBe('INV-2026-0042');
      expect(after(first, `Amount due (${currency})`)).toBe(total);
      expect(after(last, `Total due (${currency})`)).toBe(total);
      expect(after(last, 'Charges for November 2026')).toBe(charges);
      expect(after(last, 'Late usage (October 2026)')).toBe(currency === 'USD' ? '115.00' : currency === 'JPY' ? '11,500' : '115.000');
      expect(first).toContain('Smith & Sons <Ltd>');
      expect(last).toContain(`Page ${pages.length} of ${pages.length}`);
    }
  });

  it('JPY shows the rounding line before the total', async () => {
    const { pages } = extractPdfText(await renderPdf(toInvoiceDocument(jpyInvoice(), header()), 'summary'));
    expect(after(pages.at(-1) ?? [], 'Rounding difference (invoice total rounded once)')).toBe('1');
  });
});

describe('renderPdf: subscriptions by name', () => {
  it("shows a named subscription by its name, its id in small print after it; an unnamed one by its id", async () => {
    const named = extractPdfText(await renderPdf(toInvoiceDocument(usdInvoice(), header()), 'detailed')).pages.flat();
    expect(after(named, 'Subscription Production')).toBe('azure-sub-1');
    expect(named).not.toContain('Subscription azure-sub-1');
    const bare = extractPdfText(await renderPdf(toInvoiceDocument(usdInvoice(), header({ subscriptionNames: undefined })), 'detailed')).pages.flat();
    expect(bare).toContain('Subscription azure-sub-1');
  });
});

describe('renderPdf: summary for an SMB client fits on two pages', () => {
  it('8 categories, 10 cost nodes, late usage and notes: at most 2 pages, everything on them', async () => {
    const invoice: Invoice = smbInvoice();
    expect(Object.keys(invoice.subtotalsByCategory)).toHaveLength(8);
    expect(invoice.subtotalsByCostNode).toHaveLength(10);
    const doc = toInvoiceDocument(invoice, header({ costNodes: SMB_COST_NODES, notes: ['Thank you for your business.', 'Questions: billing@northwind.example'] }));
    const { pages } = extractPdfText(await renderPdf(doc, 'summary'));
    expect(pages.length).toBeLessThanOrEqual(2);
    const text = pages.flat();
    for (const label of ['Compute', 'Storage', 'Networking', 'Databases', 'Licenses', 'Marketplace', 'Support', 'Other']) expect(text).toContain(label);
    for (const node of SMB_COST_NODES) expect(text).toContain(node.name);
    expect(after(pages.at(-1) ?? [], 'Total due (USD)')).toBe(doc.total.display);
  });
});

describe('renderPdf: detailed for an enterprise client runs over many pages', () => {
  const invoice = enterpriseInvoice(300);
  const doc = toInvoiceDocument(invoice, header());

  it('300 lines: every page repeats the table header and says "Page x of y"', async () => {
    expect(invoice.lines).toHaveLength(300);
    const { pages } = extractPdfText(await renderPdf(doc, 'detailed'));
    expect(pages.length).toBeGreaterThanOrEqual(5);
    pages.forEach((page, i) => {
      const header = page.indexOf('Description');
      expect(header, `page ${i + 1}`).toBeGreaterThan(-1);
      expect(page.slice(header, header + 6), `page ${i + 1}`).toEqual(['Description', 'Category', 'Quantity', 'Unit', 'Unit price', 'Amount (USD)']);
      expect(page, `page ${i + 1}`).toContain(`Page ${i + 1} of ${pages.length}`);
      if (i > 0) {
        expect(page[1], `page ${i + 1}`).toBe('Invoice INV-2026-0042 · Smith & Sons <Ltd> · November 2026');
        // Lines carried over say which section, subscription and resource group they continue.
        const firstRow = page[header + 6] ?? '';
        expect(/^(Subscription |Resource group |By cost node)/.test(firstRow) || /^Charges for November 2026 › Subscription .+ › Resource group .+ \(continued\)$/.test(firstRow), firstRow).toBe(true);
      }
    });
    // Every line made it onto a page, and the total is at the end.
    const text = pages.flat();
    const shown = doc.detailed.flatMap((s) => s.subscriptions.flatMap((sub) => sub.resourceGroups.flatMap((rg) => rg.lines)));
    for (const line of shown) expect(text).toContain(`${line.meter} · Cost node: ${line.costNodeLabel} · 1 source line`);
    expect(after(pages.at(-1) ?? [], 'Total due (USD)')).toBe(doc.total.display);
  });

  it('never leaves a subscription or resource group heading alone at the foot of a page', async () => {
    const { pages } = extractPdfText(await renderPdf(doc, 'detailed'));
    for (const page of pages) {
      const footer = page.findIndex((t) => t.startsWith('Northwind MSP Ltd · Invoice'));
      const body = page.slice(0, footer);
      const lastHeading = body.findLastIndex((t) => t.startsWith('Subscription ') || t.startsWith('Resource group '));
      if (lastHeading !== -1) expect(body.slice(lastHeading).some((t) => t.includes('source line')), page.join('|')).toBe(true);
    }
  });
});

describe('renderPdf: deterministic bytes and text the standard fonts can draw', () => {
  it('the same invoice renders the same bytes, dated the issue date', async () => {
    for (const format of formats) {
      const a = await renderPdf(toInvoiceDocument(usdInvoice(), header()), format);
      const b = await renderPdf(toInvoiceDocument(usdInvoice(), header()), format);
      expect(a.equals(b)).toBe(true);
      expect(a.toString('latin1')).toContain('(D:20261201000000Z)');
    }
  });

  it('keeps Windows-1252 text, drops accents it cannot draw, marks the rest', async () => {
    expect(winAnsi('Müller & Söhne – Łódź €5 東京\tx')).toBe('Müller & Söhne – ?ódz €5 ?? x');
    const { pages } = extractPdfText(await renderPdf(toInvoiceDocument(usdInvoice(), header({ customer: { name: 'Müller & Söhne – Łódź' } })), 'summary'));
    expect(pages[0]).toContain('Müller & Söhne – ?ódz');
  });

  it('revision 2 says so on every page', async () => {
    const { pages } = extractPdfText(await renderPdf(toInvoiceDocument(usdInvoice(), header({ revision: 2 })), 'summary'));
    expect(after(pages[0] ?? [], 'Revision')).toBe('2');
    expect(pages.every((p) => p.includes('Northwind MSP Ltd · Invoice INV-2026-0042 · revision 2'))).toBe(true);
  });
});
