import type { QboEntity } from '../../connectors/quickbooks/client.ts';
import type { ErpJournal } from '../accounting/revenue-journal.ts';

/**
 * A hub journal as a QuickBooks JournalEntry: each line a JournalEntryLineDetail with a
 * positive Amount and PostingType Debit or Credit (QuickBooks does not take signed
 * amounts), its account, and Class and Department from the cost centre. DocNumber is the
 * journal's number, which the job reads back by. Amounts cross to the SDK as numbers
 * here only.
 */
export function toQuickBooksJournalEntry(journal: ErpJournal): QboEntity {
  return {
    DocNumber: journal.number,
    TxnDate: journal.date,
    CurrencyRef: { value: journal.currency },
    PrivateNote: journal.narration,
    Line: journal.lines.map((l) => ({
      DetailType: 'JournalEntryLineDetail',
      Amount: Number(l.amount.abs().toFixed()),
      Description: l.description,
      JournalEntryLineDetail: {
        PostingType: l.amount.isNegative() ? 'Credit' : 'Debit',
        AccountRef: { value: l.account },
        ...(l.dimensions?.class ? { ClassRef: { value: l.dimensions.class } } : {}),
        ...(l.dimensions?.department ? { DepartmentRef: { value: l.dimensions.department } } : {}),
      },
    })),
  };
}
