import type { ErpJournal } from '../../mappings/accounting/revenue-journal.ts';

/** A journal an ERP holds, as the journal job needs to know it. */
export interface ErpJournalDocument {
  id: string;
  number: string;
}

/**
 * What the period-journal job asks of an ERP. Each ERP implements it on its own client
 * (Xero ManualJournal, QuickBooks JournalEntry, NetSuite journalEntry upserted by
 * externalId = `journal.key`); the balance check, the read-back before create and the
 * write-back of the document id live in the job, once.
 */
export interface JournalPoster {
  /** The journal the ERP already holds for `journal.number`, if an earlier attempt made it. */
  findJournal(journal: ErpJournal): Promise<ErpJournalDocument | undefined>;
  /** Creates it, carrying `journal.key` as the ERP's idempotency key. */
  createJournal(journal: ErpJournal): Promise<ErpJournalDocument>;
}
