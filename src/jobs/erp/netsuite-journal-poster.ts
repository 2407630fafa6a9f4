import type { HubContext } from '../../context.ts';
import type { ErpJournal } from '../../mappings/accounting/revenue-journal.ts';
import type { JournalLine } from '../../mappings/netsuite/journal.ts';
import { netsuiteClientFor } from './netsuite-client-for-connection.ts';
import { postNetSuiteJournal } from './netsuite-journal.ts';
import type { JournalPoster } from './journal-poster.ts';

/** The hub's signed journal lines as NetSuite's debit/credit sides (a zero line carries neither, so it is left out). */
function netsuiteLinesOf(journal: ErpJournal): JournalLine[] {
  return journal.lines
    .filter((l) => !l.amount.isZero())
    .map((l) => ({ account: l.account, memo: l.description, dimensions: l.dimensions, ...(l.amount.isNegative() ? { credit: l.amount.negated() } : { debit: l.amount }) }));
}

/**
 * NetSuite behind the journal job: a journalEntry upserted by its external id (the
 * journal's key), so the read-back and the create name the same record.
 */
export function netsuiteJournalPoster(ctx: HubContext, connectionId: string): JournalPoster {
  return {
    findJournal: async (journal) => {
      const { client } = await netsuiteClientFor(ctx, connectionId);
      const found = await client.getRecord('journalEntry', { externalId: journal.key });
      return found ? { id: String(found.id), number: journal.number } : undefined;
    },
    createJournal: async (journal) => {
      const posted = await postNetSuiteJournal(ctx, connectionId, { externalId: journal.key, currency: journal.currency, tranDate: journal.date, memo: journal.narration, lines: netsuiteLinesOf(journal) });
      return { id: posted.id, number: journal.number };
    },
  };
}
