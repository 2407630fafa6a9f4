import { describe, expect, it } from 'vitest';
import { sum } from '../../../src/engine/decimal.ts';
import { buildInvoice } from '../../../src/engine/invoice.ts';
import { addLabour, addLateLabour, labourCurrencyProblem, type LateLabourChange } from '../../../src/engine/labour-invoice.ts';
import type { LabourEntry } from '../../../src/engine/labour.ts';
import { allocated, card, d, expectDecimal, pricedLine } from './fixtures.ts';

// Labour added to an invoice of Microsoft lines. Figures worked by hand:
//   Microsoft: 10.00 (finance) + 3.10 (ops) = 13.10; the card's minimum 20.00 tops it up by 6.90.
//   Engagement "finance": 10 h × 150 = 1,500 + 0.5 h × 99.99 = 49.995 → 1,549.995 → 1,550.00 (half up, once)
//   Outside any project: 1.5 h × 80 = 120.00 (to the unallocated node)
//   Engagement "ops": only 2 non-billable hours: reported, no line
//   Labour 1,670.00; invoice 13.10 + 6.90 + 1,670.00 = 1,690.00.

const entry = (entryId: string, costNodeId: string | null, hours: string, rate: string | null, billable = true): LabourEntry => ({
  entryId,
  costNodeId,
  billable,
  hoursWorked: d(hours),
  hoursBillable: billable ? d(hours) : d('0'),
  rate: rate === null ? null : d(rate),
});

const usdCard = card({ rounding: { scope: 'line', mode: 'half_up' }, minimumMonthly: d('20.00') });
const microsoft = buildInvoice({
  customerId: 'c1',
  period: '2026-11',
  currency: 'USD',
  card: usdCard,
  pricedLines: [allocated(pricedLine({ lineId: 'a', price: d('10.00') }), 'finance'), allocated(pricedLine({ lineId: 'c', price: d('3.10'), category: 'storage', meterId: 'meter-lrs' }), 'ops')],
  adjustments: [],
});
const entries = [entry('e1', 'finance', '10', '150'), entry('e2', 'finance', '0.5', '99.99'), entry('e3', null, '1.5', '80'), entry('e4', 'ops', '2', null, false)];
const names = new Map([['finance', 'Finance'], ['ops', 'Operations']]);

describe('addLabour: PSA labour on the invoice of the Microsoft lines', () => {
  const { invoice, engagements, total } = addLabour(microsoft, entries, 'unallocated', names);

  it('adds one line per engagement with billable hours, before the minimum, and totals labour + infrastructure', () => {
    expectDecimal(microsoft.total, '20');
    expectDecimal(total, '1670');
    expectDecimal(invoice.total, '1690');
    expect(invoice.total.equals(sum(invoice.lines.map((l) => l.amount)))).toBe(true);
    expect(invoice.total.equals(sum(invoice.summary.map((l) => l.amount)))).toBe(true);
    expect(invoice.lines.map((l) => [l.kind, l.description, l.amount.toString()])).toEqual([
      ['charge', microsoft.lines[0]!.description, '10'],
      ['charge', microsoft.lines[1]!.description, '3.1'],
      ['labour', 'Labour, Finance: 10.5 h', '1550'],
      ['labour', 'Labour, outside any project: 1.5 h', '120'],
      ['minimum', microsoft.lines[2]!.description, '6.9'],
    ]);
    expectDecimal(invoice.lines[2]!.exactAmount, '1549.995');
    expectDecimal(invoice.minimumCharge, '6.9');
  });

  it('traces each billed entry as a source of its engagement line, at its own rate', () => {
    const finance = invoice.lines.find((l) => l.id === 'labour|finance')!;
    expect(finance.sources.map((s) => [s.lineId, s.basis, s.quantity.toString(), s.price.toString(), s.allocations[0]!.costNodeId])).toEqual([
      ['pl:e1', 'entry_rate', '10', '1500', 'finance'],
      ['pl:e2', 'entry_rate', '0.5', '49.995', 'finance'],
    ]);
    expect(invoice.lines.find((l) => l.id === 'labour|none')!.sources[0]!.allocations[0]!.costNodeId).toBe('unallocated');
  });

  it('adds labour to the cost-node subtotals and reports non-billable hours without a line', () => {
    expect(invoice.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()])).toEqual([
      ['finance', '1560'], // 10.00 + 1,550.00
      ['ops', '3.1'],
      ['unallocated', '120'],
    ]);
    const ops = engagements.find((e) => e.costNodeId === 'ops')!;
    expect([ops.lineId, ops.nonBillableHours.toString(), ops.amount.toString(), ops.nonBillableEntryIds]).toEqual([null, '2', '0', ['e4']]);
    expect(invoice.summary.filter((s) => s.kind === 'labour').map((s) => s.amount.toString())).toEqual(['1550', '120']);
  });

  it('leaves an invoice without billable labour as it was', () => {
    expect(addLabour(microsoft, [entry('e4', 'ops', '2', null, false)], 'unallocated', names).invoice).toBe(microsoft);
  });

  it('refuses billable labour on an invoice in another currency than the rates', () => {
    expect(labourCurrencyProblem(entries, 'EUR', 'USD')).toMatch(/billing currency EUR.*invoices in USD/);
    expect(labourCurrencyProblem(entries, 'usd', 'USD')).toBeNull();
    expect(labourCurrencyProblem([entry('e4', 'ops', '2', null, false)], 'EUR', 'USD')).toBeNull();
  });
});

// Late labour, worked by hand (the same invoice, 2026-11, with 2026-10 closed):
//   entry 501 billed 10 h × 150 = 1,500 on Finance, now 8 h × 150 = 1,200 → −300.00
//   entry 507 billed 2 h × 99.99 = 199.98 on Finance, moved to Operations at 2 h × 99.99:
//     Finance −199.98, Operations +199.98 (the line per engagement takes each side)
//   entry 509 new after the close: 0.25 h × 123.45 = 30.8625 → Operations 199.98 + 30.8625 = 230.8425 → 230.84
//   entry 511 non-billable before and after: no line
//   Finance: −300 − 199.98 = −499.98; total 20.00 − 499.98 + 230.84 = −249.14
describe('addLateLabour: changes to entries of a closed period as labelled adjustments', () => {
  const changes: LateLabourChange[] = [
    { period: '2026-10', psaEntryId: '501', billed: entry('v501-1', 'finance', '10', '150'), current: entry('v501-2', 'finance', '8', '150') },
    { period: '2026-10', psaEntryId: '507', billed: entry('v507-1', 'finance', '2', '99.99'), current: entry('v507-2', 'ops', '2', '99.99') },
    { period: '2026-10', psaEntryId: '509', billed: null, current: entry('v509-1', 'ops', '0.25', '123.45') },
    { period: '2026-10', psaEntryId: '511', billed: entry('v511-1', 'ops', '1', null, false), current: entry('v511-2', 'ops', '3', null, false) },
  ];
  const { invoice, total } = addLateLabour(microsoft, changes, 'unallocated', names);

  it('adds one line per closed period and engagement, before the minimum, each rounded once', () => {
    expectDecimal(total, '-269.14');
    expectDecimal(invoice.total, '-249.14');
    expect(invoice.total.equals(sum(invoice.lines.map((l) => l.amount)))).toBe(true);
    expect(invoice.total.equals(sum(invoice.summary.map((l) => l.amount)))).toBe(true);
    const late = invoice.lines.filter((l) => l.kind === 'labour');
    expect(late.map((l) => [l.description, l.quantity!.toString(), l.amount.toString()])).toEqual([
      ['Late labour (2026-10), Finance: -4 h (entries 501, 507)', '-4', '-499.98'],
      ['Late labour (2026-10), Operations: 2.25 h (entries 507, 509)', '2.25', '230.84'],
    ]);
    expect(late.every((l) => l.adjustment?.originalPeriod === '2026-10' && l.adjustment.label === 'Late labour')).toBe(true);
    expect(invoice.lines.at(-1)!.kind).toBe('minimum');
  });

  it('traces the version billed now and the version taken back, each on its engagement', () => {
    const finance = invoice.lines.find((l) => l.description.includes('Finance'))!;
    expect(finance.sources.map((s) => [s.lineId, s.price.toString(), s.allocations[0]!.costNodeId])).toEqual([
      ['rpl:v501-1', '-1500', 'finance'],
      ['pl:v501-2', '1200', 'finance'],
      ['rpl:v507-1', '-199.98', 'finance'],
    ]);
    const byNode = Object.fromEntries(invoice.subtotalsByCostNode.map((n) => [n.costNodeId, n.amount.toString()]));
    expect(byNode).toEqual({ finance: '-489.98', ops: '233.94' });
  });
});
