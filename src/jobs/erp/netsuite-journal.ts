import type { HubContext } from '../../context.ts';
import { toNetSuiteJournal, type Journal } from '../../mappings/netsuite/journal.ts';
import { netsuiteClientFor } from './netsuite-client-for-connection.ts';

/** A journal as the hub states it: NetSuite's currency and subsidiary ids are the connection's business. */
export type HubJournal = Omit<Journal, 'currencyId' | 'subsidiaryId'>;

/**
 * Posts one balanced journal (e.g. a period's Dr deferred revenue / Cr revenue per
 * account and cost centre) to a NetSuite connection, exactly once by its external id;
 * one that does not balance is refused before anything is sent. Answers NetSuite's
 * internal id and its journal number.
 *
 * @example
 *   await postNetSuiteJournal(ctx, connectionId, { externalId: `hub-je-${entityId}-USD-2026-03`, currency: 'USD', tranDate: '2026-03-31',
 *     memo: 'Revenue recognised 2026-03', lines: [{ account: '58', debit: new Decimal('54.25') }, { account: '54', credit: new Decimal('54.25'), dimensions: { department: '5' } }] });
 */
export async function postNetSuiteJournal(ctx: HubContext, connectionId: string, journal: HubJournal): Promise<{ id: string; tranId: string }> {
  const { client, subsidiaryId } = await netsuiteClientFor(ctx, connectionId);
  const currencyId = await client.currencyId(journal.currency);
  if (!currencyId) throw new Error(`NetSuite has no currency ${journal.currency}: enable Multiple Currencies and add it (Lists > Accounting > Currencies)`);
  const posted = await client.postJournal(toNetSuiteJournal({ ...journal, currencyId, subsidiaryId }));
  return { id: String(posted.id), tranId: String(posted.tranId) };
}
