import type { LineAmountTypes, ManualJournal, ManualJournalLine } from 'xero-node';
import type { ErpJournal } from '../accounting/revenue-journal.ts';
import { xeroEnum } from './enum.ts';

/**
 * A hub journal as a Xero ManualJournal, POSTED. Xero's LineAmount is signed like the
 * hub's (debits positive, credits negative); amounts cross to the SDK as numbers here only
 * (a decimal string with the currency's places converts exactly). ManualJournals have no
 * reference field, so the narration carries the journal's number, which the job reads
 * back by.
 */
export function toXeroManualJournal(journal: ErpJournal): ManualJournal {
  const journalLines: ManualJournalLine[] = journal.lines.map((l) => ({
    lineAmount: Number(l.amount.toFixed()),
    accountCode: l.account,
    description: l.description,
    ...(l.dimensions?.tracking ? { tracking: l.dimensions.tracking.map((t) => ({ name: t.name, option: t.option })) } : {}),
  }));
  return {
    narration: xeroNarrationOf(journal),
    date: journal.date,
    status: xeroEnum<typeof ManualJournal.StatusEnum>('POSTED'),
    lineAmountTypes: xeroEnum<typeof LineAmountTypes>('NoTax'),
    journalLines,
  };
}

/** @example xeroNarrationOf({ narration: 'Revenue recognised 2026-03 USD', number: 'RJ-2026-03-USD-1' }) // 'Revenue recognised 2026-03 USD [RJ-2026-03-USD-1]' */
export const xeroNarrationOf = (journal: Pick<ErpJournal, 'narration' | 'number'>): string => `${journal.narration} [${journal.number}]`;
