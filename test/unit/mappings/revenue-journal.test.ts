import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { MappingIndex } from '../../../src/mappings/accounting/line-accounts.ts';
import { assertBalanced, recognitionJournalLines, UnbalancedJournalError } from '../../../src/mappings/accounting/revenue-journal.ts';
import { toQuickBooksJournalEntry } from '../../../src/mappings/quickbooks/journal-entry.ts';

const d = (v: string) => new Decimal(v);
const index = new MappingIndex([
  { kind: 'category', value: 'licenses', account: '210', taxCode: null, dimensions: null },
  { kind: 'category', value: 'compute', account: '200', taxCode: null, dimensions: null },
  { kind: 'costNode', value: 'web', account: null, taxCode: null, dimensions: { tracking: [{ name: 'Cost centre', option: 'Web' }] } },
  { kind: 'costNode', value: 'fin', account: null, taxCode: null, dimensions: { tracking: [{ name: 'Cost centre', option: 'Finance' }] } },
]);
const parents = new Map<string, string | null>([['web', null], ['fin', null]]);
const line = (id: string, category: string, amount: string, allocations: [string, string][]) => ({
  id,
  position: 1,
  kind: 'charge',
  category,
  sku: null,
  description: id,
  quantity: null,
  amount: d(amount),
  allocations: allocations.map(([costNodeId, a]) => ({ costNodeId, amount: d(a) })),
});

describe('recognitionJournalLines', () => {
  it('debits deferred revenue and credits each revenue account per cost centre, summed', () => {
    // 55.89 split 60/40 over Web and Finance: 33.534 → 33.53 and 22.356 → 22.36; plus 16.44 all Web on the same account.
    const lines = recognitionJournalLines([line('a', 'licenses', '55.89', [['web', '600'], ['fin', '400']]), line('b', 'licenses', '16.44', [['web', '1']])], 'USD', index, parents, '2450');
    expect(lines.map((l) => [l.account, l.amount.toFixed(2), l.dimensions?.tracking?.[0]?.option])).toEqual([
      ['2450', '49.97', 'Web'],
      ['2450', '22.36', 'Finance'],
      ['210', '-49.97', 'Web'],
      ['210', '-22.36', 'Finance'],
    ]);
    expect(() => assertBalanced({ number: 'RJ-2026-03-USD-1', currency: 'USD', lines })).not.toThrow();
  });
});

describe('assertBalanced', () => {
  const journal = (amounts: string[], currency = 'USD') => ({ number: 'RJ-X', currency, lines: amounts.map((a, i) => ({ account: String(i), description: '', amount: d(a), dimensions: null })) });
  it('refuses a journal whose debits and credits differ, naming both', () => {
    expect(() => assertBalanced(journal(['100.00', '-99.99']))).toThrow(UnbalancedJournalError);
    expect(() => assertBalanced(journal(['100.00', '-99.99']))).toThrow('debits 100 USD, credits 99.99 USD');
  });
  it('refuses amounts finer than the currency, and a one-sided journal', () => {
    expect(() => assertBalanced(journal(['1.5', '-1.5'], 'JPY'))).toThrow(/finer than JPY/);
    expect(() => assertBalanced(journal(['0']))).toThrow(/needs a debit and a credit/);
  });
});

describe('toQuickBooksJournalEntry', () => {
  it('sends positive amounts with Debit or Credit, and class and department refs', () => {
    const entry = toQuickBooksJournalEntry({
      key: 'k',
      number: 'RJ-2026-03-USD-1',
      date: '2026-03-31',
      currency: 'USD',
      narration: 'n',
      lines: [
        { account: '90', description: 'Deferred', amount: d('55.89'), dimensions: { class: '5000000000000012345', department: '1' } },
        { account: '80', description: 'Revenue', amount: d('-55.89'), dimensions: null },
      ],
    });
    expect(entry).toMatchObject({ DocNumber: 'RJ-2026-03-USD-1', TxnDate: '2026-03-31', CurrencyRef: { value: 'USD' } });
    expect((entry.Line as Record<string, any>[]).map((l) => [l.Amount, l.JournalEntryLineDetail.PostingType, l.JournalEntryLineDetail.AccountRef.value, l.JournalEntryLineDetail.ClassRef?.value, l.JournalEntryLineDetail.DepartmentRef?.value])).toEqual([
      [55.89, 'Debit', '90', '5000000000000012345', '1'],
      [55.89, 'Credit', '80', undefined, undefined],
    ]);
  });
});
