import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../../src/documents/errors.ts';
import { type DocumentFormat, type DocumentType, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { documentFilename, renderInvoiceDocument } from '../../../src/documents/render.ts';
import { Decimal, sum } from '../../../src/engine/decimal.ts';
import { usageLine } from '../engine/fixtures.ts';
import { d, header, invoiceMonth, rateCard, usdInvoice } from './fixtures.ts';
import { csvRecords, extractPdfText } from './helpers.ts';

describe('renderInvoiceDocument: one document, two formats, three types', () => {
  const doc = toInvoiceDocument(usdInvoice(), header());

  it.each([
    ['summary', 'pdf', 'application/pdf'],
    ['summary', 'html', 'text/html; charset=utf-8'],
    ['summary', 'csv', 'text/csv; charset=utf-8; header=present'],
    ['detailed', 'pdf', 'application/pdf'],
    ['detailed', 'html', 'text/html; charset=utf-8'],
    ['detailed', 'csv', 'text/csv; charset=utf-8; header=present'],
  ] as const)('%s %s', async (format, type, contentType) => {
    const rendered = await renderInvoiceDocument(doc, { format, type });
    expect(rendered.contentType).toBe(contentType);
    expect(rendered.filename).toBe(`invoice-INV-2026-0042-${format}.${type}`);
    expect(Buffer.isBuffer(rendered.body)).toBe(true);
    if (type === 'pdf') expect(extractPdfText(rendered.body).pages.flat()).toContain('4,395.30');
    if (type === 'html') expect(rendered.body.toString('utf8')).toContain('<td class="num">4,395.30</td>');
    if (type === 'csv') expect(csvRecords(rendered.body.toString('utf8')).at(-1)).toMatchObject({ row_type: 'total', amount: '4395.30' });
  });

  it('refuses an unknown format or type', async () => {
    await expect(renderInvoiceDocument(doc, { format: 'brief' as DocumentFormat, type: 'pdf' })).rejects.toThrow(DocumentError);
    await expect(renderInvoiceDocument(doc, { format: 'summary', type: 'xlsx' as DocumentType })).rejects.toThrow('Unknown document type "xlsx": use pdf, html, csv');
  });

  it('names files safely for Content-Disposition', () => {
    expect(documentFilename({ invoiceNumber: 'INV/2026 42', revision: 2 }, 'summary', 'pdf')).toBe('invoice-INV-2026-42-rev2-summary.pdf');
    expect(documentFilename({ invoiceNumber: '../"x"', revision: 1 }, 'detailed', 'csv')).toBe('invoice-x-detailed.csv');
    expect(documentFilename({ invoiceNumber: '東京', revision: 1 }, 'detailed', 'html')).toBe('invoice-invoice-detailed.html');
  });
});

describe('renderInvoiceDocument: edge months', () => {
  const types: DocumentType[] = ['pdf', 'html', 'csv'];
  const formats: DocumentFormat[] = ['detailed', 'summary'];

  it('a month with no usage at all: only the minimum charge', async () => {
    const invoice = invoiceMonth({ currency: 'USD', card: rateCard('USD', 'line', 'half_up', '14.00', { minimumMonthly: d('100.00') }), lines: [] });
    const doc = toInvoiceDocument(invoice, header());
    expect(doc.totals.map((t) => [t.kind, t.amount.display])).toEqual([['minimum', '100.00']]);
    for (const format of formats) {
      for (const type of types) {
        const { body } = await renderInvoiceDocument(doc, { format, type });
        if (type === 'pdf') expect(extractPdfText(body).pages.at(-1)).toContain('100.00');
        if (type === 'html') expect(body.toString('utf8')).toContain('<tr class="total"><th scope="row">Total due (USD)</th><td class="num">100.00</td></tr>');
        if (type === 'csv') expect(csvRecords(body.toString('utf8')).map((r) => [r.row_type, r.section, r.amount])).toEqual([['line', 'minimum', '100.00'], ['total', 'total', '100.00']]);
      }
    }
  });

  it('a credit (refund) line: negative amounts shown with a minus sign and still adding up', async () => {
    const credit = usageLine({ id: 'refund', cost: d('-12.50'), quantity: d('-5'), meterId: 'meter-refund', meterName: 'D4s v3 refund', resourceGroup: 'rg-web' });
    const invoice = invoiceMonth({ currency: 'USD', card: rateCard('USD', 'line', 'half_up', '14.00'), lines: [usageLine({ id: 'u1', cost: d('1000.00') }), credit] });
    // 1,000.00 × 1.15 = 1,150.00; −12.50 × 1.15 = −14.375 → −14.38 (half-up, away from zero); total 1,135.62
    const doc = toInvoiceDocument(invoice, header());
    expect(doc.total.display).toBe('1,135.62');
    const html = (await renderInvoiceDocument(doc, { format: 'detailed', type: 'html' })).body.toString('utf8');
    expect(html).toContain('<td class="num">-5</td><td></td><td class="num">2.876</td><td class="num">-14.38</td>');
    const csv = csvRecords((await renderInvoiceDocument(doc, { format: 'detailed', type: 'csv' })).body.toString('utf8'));
    expect(csv.find((r) => r.meter === 'meter-refund')).toMatchObject({ amount: '-14.38', quantity: '-5', unit_price: '2.876' });
    expect(sum(csv.filter((r) => r.row_type === 'line').map((r) => new Decimal(r.amount ?? 'NaN'))).toString()).toBe('1135.62');
    const pdf = extractPdfText((await renderInvoiceDocument(doc, { format: 'detailed', type: 'pdf' })).body).pages.flat();
    expect(pdf).toContain('-14.38');
  });
});
