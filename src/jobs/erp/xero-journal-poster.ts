import type { XeroPostingClient } from '../../connectors/xero/client.ts';
import { JournalRefusedError } from '../../mappings/accounting/revenue-journal.ts';
import { toXeroManualJournal, xeroNarrationOf } from '../../mappings/xero/manual-journal.ts';
import type { JournalPoster } from './journal-poster.ts';

/**
 * Xero behind the journal job. ManualJournals carry no currency: Xero posts them in the
 * organisation's base currency, so a journal in any other currency is refused here,
 * naming the connection's `baseCurrency` setting, rather than booked at the wrong value.
 */
export function xeroJournalPoster(client: XeroPostingClient, baseCurrency: string | undefined): JournalPoster {
  const checkCurrency = (currency: string) => {
    if (!baseCurrency) throw new JournalRefusedError('the Xero connection has no baseCurrency setting: Xero manual journals are in the base currency, so set it to the organisation\'s (e.g. "USD")');
    if (currency !== baseCurrency) throw new JournalRefusedError(`Xero manual journals are in the base currency ${baseCurrency}; a ${currency} journal cannot be posted to this organisation`);
  };
  return {
    findJournal: async (journal) => {
      const found = await client.findManualJournalByNarration(xeroNarrationOf(journal));
      return found ? { id: found.manualJournalID!, number: journal.number } : undefined;
    },
    createJournal: async (journal) => {
      checkCurrency(journal.currency);
      const created = await client.createManualJournal(toXeroManualJournal(journal), journal.key);
      return { id: created.manualJournalID!, number: journal.number };
    },
  };
}
