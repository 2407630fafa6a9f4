import { describe, expect, it } from 'vitest';
import { Decimal, sum } from '../../../src/engine/decimal.ts';
import { addLabour } from '../../../src/engine/labour-invoice.ts';
import type { LabourEntry } from '../../../src/engine/labour.ts';
import { type DocumentFormat, toInvoiceDocument } from '../../../src/documents/invoice-view.ts';
import { documentTable, documentTotals } from '../../../src/documents/layout.ts';
import { renderCsv } from '../../../src/documents/render-csv.ts';
import { COST_NODES, header, usdInvoice } from './fixtures.ts';
import { csvRecords } from './helpers.ts';

// A combined invoice's documents: the USD fixture month (Microsoft lines allocated to
// Finance, Operations and Unallocated) plus PSA labour worked by hand:
//   Finance:    10 h × 150.00 = 1,500.00 and 0.5 h × 99.99 = 49.995 → 1,550.00 (rounded once)
//   Operations:  2 h × 60.00  =   120.00
//   labour 1,670.00 on top of the Microsoft total.

const entry = (entryId: string, costNodeId: string, hours: string, rate: string): LabourEntry => ({
  entryId, costNodeId, billable: true, hoursWorked: new Decimal(hours), hoursBillable: new Decimal(hours), rate: new Decimal(rate),
});

const microsoft = usdInvoice();
const combined = addLabour(microsoft, [entry('e1', 'finance', '10', '150'), entry('e2', 'finance', '0.5', '99.99'), entry('e3', 'ops', '2', '60')], 'unallocated', new Map([['finance', 'Finance'], ['ops', 'Operations']])).invoice;
const doc = toInvoiceDocument(combined, header({ costNodes: COST_NODES }));
const infrastructureOf = (node: string) => microsoft.subtotalsByCostNode.find((n) => n.costNodeId === node)?.amount ?? new Decimal(0);

describe('documents of a combined invoice: labour and infrastructure per engagement', () => {
  it('totals: Microsoft charges and adjustments, then labour, adding up to labour + infrastructure', () => {
    expect(doc.total.value).toBe(microsoft.total.plus('1670').toFixed(2));
    const labour = doc.totals.find((t) => t.kind === 'labour');
    expect(labour?.amount.value).toBe('1670.00');
    expect(sum(doc.totals.map((t) => new Decimal(t.amount.value))).toFixed(2)).toBe(doc.total.value);
    expect(documentTotals(doc).map((t) => t.label)).toContain('Labour for November 2026');
  });

  it('one labour row per engagement, with hours and the effective rate', () => {
    expect(doc.labour.map((l) => [l.label, l.hours.value, l.unitPrice?.value, l.amount.value, l.entryCount])).toEqual([
      ['Labour, Finance: 10.5 h', '10.5', '147.619048', '1550.00', 2],
      ['Labour, Operations: 2 h', '2', '60.00', '120.00', 1], // trailing zeros dropped down to the cent (see formatUnitPrice),
    ]);
  });

  it('each engagement shows infrastructure, labour and their subtotal', () => {
    const rows = Object.fromEntries(doc.engagements.map((e) => [e.costNodeId, [e.infrastructure.value, e.labour.value, e.subtotal.value]]));
    expect(rows.finance).toEqual([infrastructureOf('finance').toFixed(2), '1550.00', infrastructureOf('finance').plus('1550').toFixed(2)]);
    expect(rows.ops).toEqual([infrastructureOf('ops').toFixed(2), '120.00', infrastructureOf('ops').plus('120').toFixed(2)]);
    expect(rows.unallocated).toEqual([infrastructureOf('unallocated').toFixed(2), '0.00', infrastructureOf('unallocated').toFixed(2)]);
  });

  for (const format of ['detailed', 'summary'] as DocumentFormat[]) {
    it(`${format}: the table has a labour section and a subtotal per engagement`, () => {
      const rows = documentTable(doc, format).rows;
      const labels = rows.map((r) => (r.type === 'line' ? r.cells[0] : r.label));
      expect(labels).toContain('Labour for November 2026');
      expect(labels).toContain('Labour, Finance: 10.5 h');
      const byEngagement = labels.indexOf('By engagement');
      expect(byEngagement).toBeGreaterThan(labels.indexOf('Labour, Operations: 2 h'));
      const finance = rows.findIndex((r) => r.type === 'group' && r.label === 'Contoso › Finance');
      expect(finance).toBeGreaterThan(byEngagement);
      expect(rows[finance]).toMatchObject({ amount: new Intl.NumberFormat('en-US', { minimumFractionDigits: 2 }).format(infrastructureOf('finance').plus('1550').toNumber()) });
      expect(rows.slice(finance + 1, finance + 3).map((r) => (r.type === 'line' ? [r.cells[0], r.cells.at(-1)] : null))).toEqual([
        ['Infrastructure', new Intl.NumberFormat('en-US', { minimumFractionDigits: 2 }).format(infrastructureOf('finance').toNumber())],
        ['Labour', '1,550.00'],
      ]);
    });

    it(`${format} CSV: labour lines, and the line rows still add up to the total`, () => {
      const records = csvRecords(renderCsv(doc, format).toString('utf8'));
      const lines = records.filter((r) => r.row_type === 'line');
      expect(sum(lines.map((r) => new Decimal(r.amount ?? 'NaN'))).toFixed(2)).toBe(doc.total.value);
      expect(lines.filter((r) => r.section === 'labour').map((r) => [r.cost_node, r.quantity, r.unit, r.amount])).toEqual([
        ['Contoso › Finance', '10.5', 'hours', '1550.00'],
        ['Contoso › Operations', '2', 'hours', '120.00'],
      ]);
      expect(records.filter((r) => r.section === 'engagement_labour').map((r) => r.amount).sort()).toEqual(['0.00', '120.00', '1550.00']);
    });
  }
});
