import type { QuickBooksPostingClient } from '../../connectors/quickbooks/client.ts';
import { toQuickBooksJournalEntry } from '../../mappings/quickbooks/journal-entry.ts';
import type { JournalPoster } from './journal-poster.ts';

/** QuickBooks behind the journal job: a JournalEntry found by DocNumber, created with the journal key as its requestid. */
export function quickbooksJournalPoster(client: QuickBooksPostingClient): JournalPoster {
  return {
    findJournal: async (journal) => {
      const found = await client.findJournalEntryByDocNumber(journal.number);
      return found ? { id: found.Id!, number: journal.number } : undefined;
    },
    createJournal: async (journal) => {
      const created = await client.createJournalEntry(toQuickBooksJournalEntry(journal), journal.key);
      return { id: created.Id!, number: journal.number };
    },
  };
}
