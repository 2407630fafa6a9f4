import { describe, expect, it } from 'vitest';
import { Decimal, sum } from '../../../src/engine/decimal.ts';
import type { Invoice } from '../../../src/engine/types.ts';
import { DocumentError } from '../../../src/documents/errors.ts';
import { type InvoiceDocument, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { bhdInvoice, d, header, jpyInvoice, usdInvoice } from './fixtures.ts';

const figures = (rows: Array<{ amount: { value: string } }>): Decimal => sum(rows.map((r) => new Decimal(r.amount.value)));

function detailAmounts(doc: InvoiceDocument): Decimal {
  return sum(doc.detailed.flatMap((s) => s.subscriptions.flatMap((sub) => sub.resourceGroups.flatMap((rg) => rg.lines.map((l) => new Decimal(l.amount.value))))));
}

describe('toInvoiceDocument: a USD invoice built by the engine', () => {
  const invoice = usdInvoice();
  const doc = toInvoiceDocument(invoice, header());

  it('carries the header facts and the invoice total exactly', () => {
    expect(invoice.total.toString()).toBe('4395.3'); // see fixtures: 4,280.30 charges + 115.00 late usage
    expect(doc).toMatchObject({
      invoiceNumber: 'INV-2026-0042',
      revision: 1,
      issuedAtLabel: '1 Dec 2026',
      dueDateLabel: '31 Dec 2026',
      period: { code: '2026-11', label: 'November 2026', range: '1 Nov 2026 – 30 Nov 2026' },
      currency: 'USD',
      minorUnits: 2,
      customer: { name: 'Smith & Sons <Ltd>', billingEmail: 'ap@smith.example', addressLines: ['22 Mill Lane', 'York YO1 7HH'], taxId: null },
      total: { value: '4395.30', display: '4,395.30' },
    });
  });

  it('totals block: charges, the late usage labelled with its period, adding up to the total', () => {
    expect(doc.totals.map((t) => [t.kind, t.label, t.period, t.amount.display])).toEqual([
      ['charges', 'Charges for November 2026', '2026-11', '4,280.30'],
      ['adjustment', 'Late usage (October 2026)', '2026-10', '115.00'],
    ]);
    expect(figures(doc.totals).equals(invoice.total)).toBe(true);
  });

  it('summary: one row per category, then the adjustment, adding up to the total', () => {
    expect(doc.summary.map((r) => [r.kind, r.label, r.period, r.amount.value, r.lineCount, r.sourceLineCount])).toEqual([
      ['charge', 'Compute', '2026-11', '1419.74', 1, 1],
      ['charge', 'Storage', '2026-11', '372.00', 1, 1],
      ['charge', 'Networking', '2026-11', '93.56', 1, 1],
      ['charge', 'Databases', '2026-11', '2200.00', 1, 1],
      ['charge', 'Licenses', '2026-11', '140.00', 1, 1],
      ['charge', 'Marketplace', '2026-11', '55.00', 1, 1],
      ['adjustment', 'Late usage (October 2026)', '2026-10', '115.00', 1, 1],
    ]);
    expect(figures(doc.summary).equals(invoice.total)).toBe(true);
  });

  it('detailed: subscription → resource group → meter, with quantity, unit, unit price and cost node', () => {
    const [charges, late] = doc.detailed;
    expect(charges?.title).toBe('Charges for November 2026');
    expect(charges?.subscriptions.map((s) => [s.label, s.subtotal.display, s.resourceGroups.map((rg) => [rg.label, rg.subtotal.display, rg.lines.map((l) => l.meter)])])).toEqual([
      ['Microsoft 365 (nce-sub-1)', '140.00', [['No resource group', '140.00', ['CFQ7TTC0LDPB:0001']]]],
      [
        'Production (azure-sub-1)',
        '4,085.30',
        [
          ['rg-erp-prod', '3,991.74', ['meter-d2s-v3', 'meter-lrs', 'meter-sql']], // 1,419.74 + 372.00 + 2,200.00
          ['rg-web', '93.56', ['meter-bw']],
        ],
      ],
      ['azure-sub-2', '55.00', [['rg-apps', '55.00', ['meter-saas']]]],
    ]);
    const vm = charges?.subscriptions[1]?.resourceGroups[0]?.lines[0];
    expect(vm).toMatchObject({
      description: 'D2s v3',
      category: 'compute',
      categoryLabel: 'Compute',
      quantity: { value: '1200', display: '1,200' },
      unit: '1 Hour',
      unitPrice: { value: '1.183117' }, // 1,419.74 ÷ 1,200
      amount: { value: '1419.74', display: '1,419.74' },
      costNodeLabel: 'Contoso › Finance', // the FIN tag
      sourceLineCount: 1,
    });
    const storage = charges?.subscriptions[1]?.resourceGroups[0]?.lines[1];
    expect(storage?.costNodeLabel).toBe('Contoso › Finance 50% / Contoso › Operations 50%'); // rg-erp-prod split
    expect(late).toMatchObject({ kind: 'adjustment', adjustmentId: 'adj-2026-10', title: 'Late usage (October 2026)', period: '2026-10', subtotal: { value: '115.00' } });
    expect(late?.subscriptions[0]?.resourceGroups[0]?.lines[0]?.description).toBe('D2s v3'); // the section title already says "Late usage"
    expect(detailAmounts(doc).equals(invoice.total)).toBe(true);
  });

  it("cost nodes: the engine's subtotals, named by their path in the tree", () => {
    expect(doc.costNodes.map((n) => [n.costNodeId, n.label, n.amount.value])).toEqual([
      ['finance', 'Contoso › Finance', '2763.24'],
      ['ops', 'Contoso › Operations', '1483.50'],
      ['unallocated', 'Unallocated', '148.56'],
    ]);
    for (const n of invoice.subtotalsByCostNode) expect(doc.costNodes.find((c) => c.costNodeId === n.costNodeId)?.amount.value).toBe(n.amount.toFixed(2));
    expect(doc.costNodesTotal.value).toBe('4395.30');
  });

  it('is a plain serialisable value', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('shows ids where the header names nothing', () => {
    const bare = toInvoiceDocument(invoice, header({ subscriptionNames: undefined, costNodes: undefined, units: undefined, notes: undefined }));
    const vm = bare.detailed[0]?.subscriptions.find((s) => s.subscriptionId === 'azure-sub-1');
    expect(vm?.label).toBe('azure-sub-1');
    expect(vm?.resourceGroups[0]?.lines[0]).toMatchObject({ unit: null, costNodeLabel: 'finance' });
    expect(bare.notes).toEqual([]);
  });
});

describe('toInvoiceDocument: minor units of JPY and BHD', () => {
  it('JPY: whole yen, and the rounding line of an invoice rounded once', () => {
    const invoice = jpyInvoice();
    const doc = toInvoiceDocument(invoice, header());
    expect(invoice.total.toString()).toBe('444226');
    expect(doc.total).toEqual({ value: '444226', display: '444,226' });
    expect(doc.totals.map((t) => [t.kind, t.amount.display])).toEqual([
      ['charges', '432,725'], // 141,974 + 37,201 + 9,350 + 220,000 + 18,700 + 5,500 as shown
      ['adjustment', '11,500'],
      ['rounding', '1'], // exact 444,225.6 → 444,226, shown lines 444,225
    ]);
    expect(doc.totals[2]?.label).toBe('Rounding difference (invoice total rounded once)');
    expect(figures(doc.totals).equals(invoice.total)).toBe(true);
    expect(doc.summary.every((r) => !r.amount.value.includes('.'))).toBe(true);
  });

  it('BHD: three decimals everywhere', () => {
    const invoice = bhdInvoice();
    const doc = toInvoiceDocument(invoice, header());
    expect(doc.total).toEqual({ value: '4307.812', display: '4,307.812' });
    expect(doc.summary.map((r) => r.amount.value)).toEqual(['1419.752', '372.000', '93.560', '2200.000', '52.500', '55.000', '115.000']);
    expect(figures(doc.totals).equals(invoice.total)).toBe(true);
    expect(detailAmounts(doc).equals(invoice.total)).toBe(true);
  });
});

describe('toInvoiceDocument: the minimum monthly charge', () => {
  it('tops up as its own totals row; cost nodes carry the charges only and say so', () => {
    const invoice = usdInvoice({ minimumMonthly: d('5000.00') });
    const doc = toInvoiceDocument(invoice, header());
    expect(doc.totals.map((t) => [t.kind, t.label, t.amount.display])).toEqual([
      ['charges', 'Charges for November 2026', '4,280.30'],
      ['adjustment', 'Late usage (October 2026)', '115.00'],
      ['minimum', 'Minimum monthly charge of 5000.00 USD (charges 4280.30)', '719.70'], // 5,000.00 − 4,280.30
    ]);
    expect(doc.total.display).toBe('5,115.00');
    expect(doc.costNodesTotal.display).toBe('4,395.30'); // total − minimum
  });
});

describe('toInvoiceDocument: refuses what it cannot render faithfully', () => {
  const invoice = usdInvoice();

  it.each([
    ['a blank invoice number', { invoiceNumber: '  ' }, 'The invoice number is blank'],
    ['an impossible issue date', { issuedAt: '2026-13-01' }, 'The issuedAt "2026-13-01" is not a calendar date'],
    ['a due date before the issue date', { dueDate: '2026-11-30' }, 'The due date 2026-11-30 is before the issue date 2026-12-01'],
    ['revision 0', { revision: 0 }, 'The revision must be a whole number from 1'],
    ['a nameless customer', { customer: { name: '' } }, "The customer's name is blank"],
  ] as const)('%s', (_name, overrides, message) => {
    expect(() => toInvoiceDocument(invoice, header(overrides))).toThrow(message);
    expect(() => toInvoiceDocument(invoice, header(overrides))).toThrow(DocumentError);
  });

  it('an invoice whose lines do not add up to its total', () => {
    const tampered: Invoice = { ...invoice, total: invoice.total.plus('0.01') };
    expect(() => toInvoiceDocument(tampered, header())).toThrow(/add up to 4395.30, not the invoice total 4395.31/);
  });

  it('an amount that is not rounded to the currency', () => {
    const [first, ...rest] = invoice.lines;
    const tampered: Invoice = { ...invoice, lines: [{ ...(first as Invoice['lines'][number]), amount: d('1419.744') }, ...rest] };
    expect(() => toInvoiceDocument(tampered, header())).toThrow(/not in whole minor units of USD/);
  });
});
