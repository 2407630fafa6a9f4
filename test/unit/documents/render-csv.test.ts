import { describe, expect, it } from 'vitest';
import { Decimal, sum } from '../../../src/engine/decimal.ts';
import { minorUnits } from '../../../src/engine/money.ts';
import type { Invoice } from '../../../src/engine/types.ts';
import { type DocumentFormat, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { CSV_COLUMNS, csvField, renderCsv } from '../../../src/documents/render-csv.ts';
import { bhdInvoice, header, jpyInvoice, usdInvoice } from './fixtures.ts';
import { csvRecords, parseCsv } from './helpers.ts';

const invoices: Array<[string, () => Invoice]> = [
  ['USD', usdInvoice],
  ['JPY', jpyInvoice],
  ['BHD', bhdInvoice],
];
const formats: DocumentFormat[] = ['detailed', 'summary'];

describe('renderCsv: parse it back and the lines add up to the total exactly', () => {
  for (const [currency, build] of invoices) {
    for (const format of formats) {
      it(`${currency} ${format}`, () => {
        const invoice = build();
        const text = renderCsv(toInvoiceDocument(invoice, header()), format).toString('utf8');
        const rows = parseCsv(text);
        expect(rows[0]).toEqual([...CSV_COLUMNS]);
        expect(rows.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
        const records = csvRecords(text);
        const places = minorUnits(currency);
        const amountPattern = places === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${places}}$`);
        expect(records.every((r) => amountPattern.test(r.amount ?? '') && r.currency === currency && r.invoice_number === 'INV-2026-0042')).toBe(true);

        const lines = records.filter((r) => r.row_type === 'line');
        expect(sum(lines.map((r) => new Decimal(r.amount ?? 'NaN'))).equals(invoice.total)).toBe(true);
        const totals = records.filter((r) => r.row_type === 'total');
        expect(totals).toHaveLength(1);
        expect(totals[0]).toMatchObject({ section: 'total', description: `Total due (${currency})`, amount: invoice.total.toFixed(places) });

        const nodes = records.filter((r) => r.section === 'cost_node');
        expect(nodes.map((r) => r.amount)).toEqual(invoice.subtotalsByCostNode.map((n) => n.amount.toFixed(places)));
        const late = lines.find((r) => r.section === 'adjustment');
        expect(late).toMatchObject({ period: '2026-10' });
        expect(late?.description).toMatch(/^Late usage \(October 2026\)/);

        if (format === 'detailed') {
          // One line row per invoice line (charges, adjustments, the rounding line of JPY).
          expect(lines).toHaveLength(invoice.lines.length);
          const categories = records.filter((r) => r.section === 'category');
          expect(categories.map((r) => [r.category, r.amount])).toEqual(Object.entries(invoice.subtotalsByCategory).map(([c, a]) => [c, a?.toFixed(places)]));
        } else {
          expect(lines).toHaveLength(invoice.summary.length);
        }
      });
    }
  }
});

describe('renderCsv: columns a finance person can pivot', () => {
  const invoice = usdInvoice();

  it('detailed rows name subscription, resource group, meter, cost node, quantity, unit and unit price', () => {
    const records = csvRecords(renderCsv(toInvoiceDocument(invoice, header()), 'detailed').toString('utf8'));
    expect(records.find((r) => r.meter === 'meter-d2s-v3' && r.section === 'charge')).toEqual({
      invoice_number: 'INV-2026-0042',
      row_type: 'line',
      section: 'charge',
      period: '2026-11',
      category: 'compute',
      subscription: 'azure-sub-1',
      subscription_name: 'Production',
      resource_group: 'rg-erp-prod',
      meter: 'meter-d2s-v3',
      description: 'D2s v3',
      cost_node: 'Contoso › Finance',
      quantity: '1200',
      unit: '1 Hour',
      unit_price: '1.183117',
      amount: '1419.74',
      currency: 'USD',
      source_line_count: '1',
    });
    expect(records.find((r) => r.section === 'adjustment')).toMatchObject({ period: '2026-10', description: 'Late usage (October 2026): D2s v3', amount: '115.00' });
  });

  it('JPY: the rounding line is a line of its own', () => {
    const records = csvRecords(renderCsv(toInvoiceDocument(jpyInvoice(), header()), 'summary').toString('utf8'));
    expect(records.find((r) => r.section === 'rounding')).toMatchObject({ row_type: 'line', amount: '1', description: 'Rounding difference (invoice total rounded once)' });
  });

  it('quotes commas, quotes and line breaks (RFC 4180), ends rows with CRLF', () => {
    const doc = toInvoiceDocument(invoice, header({ subscriptionNames: { 'azure-sub-1': 'Prod, "EU"\nwest' } }));
    const text = renderCsv(doc, 'detailed').toString('utf8');
    expect(text).toContain('"Prod, ""EU""\nwest"');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.split('\r\n').slice(0, -1).every((l) => !l.endsWith('\r'))).toBe(true);
    const vm = csvRecords(text).find((r) => r.meter === 'meter-d2s-v3');
    expect(vm?.subscription_name).toBe('Prod, "EU"\nwest');
  });

  it('neutralises text a spreadsheet would run as a formula, never a number', () => {
    expect(csvField('=HYPERLINK("http://x","y")', false)).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('@SUM(A1)', false)).toBe("'@SUM(A1)");
    expect(csvField('-12.50', true)).toBe('-12.50');
    const doc = toInvoiceDocument(invoice, header({ subscriptionNames: { 'azure-sub-1': '+cmd' } }));
    expect(csvRecords(renderCsv(doc, 'detailed').toString('utf8')).find((r) => r.meter === 'meter-d2s-v3')?.subscription_name).toBe("'+cmd");
  });

  it('is deterministic: the same invoice renders the same bytes', () => {
    for (const format of formats) {
      const a = renderCsv(toInvoiceDocument(usdInvoice(), header()), format);
      const b = renderCsv(toInvoiceDocument(usdInvoice(), header()), format);
      expect(a.equals(b)).toBe(true);
    }
  });
});
