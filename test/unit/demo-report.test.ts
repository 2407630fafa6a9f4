import { describe, expect, it } from 'vitest';
import { customersWithoutInvoice } from '../../src/demo-report.ts';

const customers = [
  { id: 'a', name: 'Alpine Logistics Corp.' },
  { id: 'b', name: 'Fourth Coffee Media AG' },
  { id: 'c', name: 'Coho Retail Inc.' },
  { id: 'd', name: 'Datum Foods Inc.' },
  { id: 'e', name: 'Lamna Media LLC' },
];

describe('customersWithoutInvoice', () => {
  it('names every customer without an invoice with its reason, and no invoiced one', () => {
    const run = {
      customers: [
        { customerId: 'a', outcome: 'issued', unpricedLines: 0, problems: [] },
        { customerId: 'c', outcome: 'no_rate_card', unpricedLines: 0, problems: [] },
        { customerId: 'd', outcome: 'unpriced', unpricedLines: 3, problems: [{ lineId: 'u:9', reason: 'no rule prices category marketplace' }] },
        { customerId: 'e', outcome: 'failed', unpricedLines: 0, problems: [] },
      ],
      errors: [{ customerId: 'e', message: 'connection reset' }],
    };
    expect(customersWithoutInvoice(customers, run, new Set(['a']), '2026-11')).toEqual([
      { customer: 'Fourth Coffee Media AG', reason: 'no usage or licence lines for 2026-11 were synced: nothing to bill' },
      { customer: 'Coho Retail Inc.', reason: 'held: no approved rate card covers the period' },
      { customer: 'Datum Foods Inc.', reason: 'held: 3 line(s) no rate card rule prices (no rule prices category marketplace)' },
      { customer: 'Lamna Media LLC', reason: 'failed: connection reset' },
    ]);
  });

  it('is empty when every customer has an invoice', () => {
    expect(customersWithoutInvoice(customers, { customers: [], errors: [] }, new Set(customers.map((c) => c.id)), '2026-11')).toEqual([]);
  });
});
