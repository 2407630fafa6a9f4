import { describe, expect, it } from 'vitest';
import { MappingIndex, entryProblems, type MappingEntry } from '../../../src/mappings/accounting/line-accounts.ts';

const entry = (e: Partial<MappingEntry> & Pick<MappingEntry, 'kind' | 'value'>): MappingEntry => ({ account: null, taxCode: null, dimensions: null, ...e });

describe('MappingIndex', () => {
  const index = new MappingIndex([
    entry({ kind: 'category', value: 'Licenses', account: '4100', taxCode: 'TAX' }),
    entry({ kind: 'sku', value: 'CFQ7TTC0LDPB:0001', account: '4110' }),
    entry({ kind: 'lineKind', value: 'rounding', account: '4999' }),
    entry({ kind: 'lineKind', value: 'labour', account: '4200', taxCode: 'SERVICES' }),
    entry({ kind: 'costNode', value: 'bu', dimensions: { department: 'D1' } }),
  ]);

  it('takes the SKU before the category, the category before the line kind, ignoring case', () => {
    expect(index.revenueAccountOf({ kind: 'charge', category: 'licenses', sku: 'cfq7ttc0ldpb:0001' })).toEqual({ account: '4110', taxCode: null, matchedBy: 'sku' });
    expect(index.revenueAccountOf({ kind: 'charge', category: 'licenses', sku: 'OTHER:1' })).toEqual({ account: '4100', taxCode: 'TAX', matchedBy: 'category' });
    expect(index.revenueAccountOf({ kind: 'rounding', category: null, sku: null })).toEqual({ account: '4999', taxCode: null, matchedBy: 'lineKind' });
    expect(index.revenueAccountOf({ kind: 'minimum', category: null, sku: null })).toBeUndefined();
    expect(index.revenueAccountOf({ kind: 'labour', category: null, sku: null })).toEqual({ account: '4200', taxCode: 'SERVICES', matchedBy: 'lineKind' });
    expect(index.revenueAccountOf({ kind: 'charge', category: null, sku: null })).toBeUndefined();
  });

  it("gives a cost node its nearest mapped ancestor's dimensions, and stops at a loop", () => {
    const parents = new Map<string, string | null>([['project', 'dept'], ['dept', 'bu'], ['bu', null], ['x', 'y'], ['y', 'x']]);
    expect(index.dimensionsOf('project', parents)).toEqual({ department: 'D1' });
    expect(index.dimensionsOf('x', parents)).toBeUndefined();
  });
});

describe('entryProblems', () => {
  it("holds each ERP to its own dimensions (Xero: two tracking categories at most)", () => {
    expect(entryProblems('netsuite', { kind: 'costNode', value: 'n', dimensions: { department: '1', class: '2', location: '3' } })).toEqual([]);
    expect(entryProblems('quickbooks', { kind: 'costNode', value: 'n', dimensions: { class: '2', tracking: [] } }).map((p) => p.field)).toEqual(['dimensions.tracking']);
    expect(entryProblems('xero', { kind: 'deferredRevenue', value: 'x', account: '800' }).map((p) => p.field)).toEqual(['value']);
  });
});
