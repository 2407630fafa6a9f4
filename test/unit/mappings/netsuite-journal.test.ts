import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { journalProblems, toNetSuiteJournal, type Journal } from '../../../src/mappings/netsuite/journal.ts';

const d = (v: string) => new Decimal(v);
// A month of recognition worked by hand: 1,234.56 released from deferred revenue (account
// 58), 1,000.00 to Azure revenue (55) in Engineering, 234.56 to licence revenue (54).
const march: Journal = {
  externalId: 'hub-je-2026-03-USD',
  subsidiaryId: '1',
  currencyId: '1',
  currency: 'USD',
  tranDate: '2026-03-31',
  memo: 'Revenue recognised 2026-03',
  lines: [
    { account: '58', debit: d('1234.56'), memo: 'Deferred revenue released' },
    { account: '55', credit: d('1000.00'), dimensions: { department: '5', class: '4', location: '1' } },
    { account: '54', credit: d('234.56'), entityId: '1001' },
  ],
};

describe('NetSuite journal entries', () => {
  it('maps a balanced journal to the journalEntry shape, one of debit or credit per line', () => {
    expect(toNetSuiteJournal(march)).toEqual({
      externalId: 'hub-je-2026-03-USD',
      subsidiary: { id: '1' },
      currency: { id: '1' },
      tranDate: '2026-03-31',
      memo: 'Revenue recognised 2026-03',
      line: {
        items: [
          { account: { id: '58' }, debit: 1234.56, memo: 'Deferred revenue released' },
          { account: { id: '55' }, credit: 1000, department: { id: '5' }, class: { id: '4' }, location: { id: '1' } },
          { account: { id: '54' }, credit: 234.56, entity: { id: '1001' } },
        ],
      },
    });
  });

  it('refuses a journal that does not balance before it leaves the hub, saying by how much', () => {
    const off = { ...march, lines: [march.lines[0]!, { ...march.lines[1]!, credit: d('999.99') }, march.lines[2]!] };
    expect(journalProblems(off)).toEqual([{ field: 'lines', reason: 'debits 1234.56 and credits 1234.55 do not balance' }]);
    expect(() => toNetSuiteJournal(off)).toThrow('journal hub-je-2026-03-USD refused: lines debits 1234.56 and credits 1234.55 do not balance');
  });

  it('refuses lines with both sides, no side, a negative amount or more decimals than the currency has', () => {
    expect(journalProblems({ ...march, lines: [{ account: '58', debit: d('1'), credit: d('1') }, { account: '54' }] })).toEqual([
      { field: 'lines[0]', reason: 'carries exactly one of debit and credit' },
      { field: 'lines[1]', reason: 'carries exactly one of debit and credit' },
    ]);
    expect(journalProblems({ ...march, lines: [{ account: '58', debit: d('-5') }, { account: '54', credit: d('-5') }] }).map((p) => p.reason)).toEqual(['-5 is not a positive amount', '-5 is not a positive amount']);
    const yen = { ...march, currency: 'JPY', lines: [{ account: '58', debit: d('100.5') }, { account: '54', credit: d('100.5') }] };
    expect(journalProblems(yen)).toEqual([
      { field: 'lines[0]', reason: '100.5 has more than the 0 decimals JPY allows' },
      { field: 'lines[1]', reason: '100.5 has more than the 0 decimals JPY allows' },
    ]);
    expect(journalProblems({ ...march, lines: [march.lines[0]!] })).toContainEqual({ field: 'lines', reason: 'a journal entry needs at least two lines' });
  });
});
