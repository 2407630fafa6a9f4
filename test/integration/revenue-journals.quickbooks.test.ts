import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../src/engine/decimal.ts';
import { journalKey, sendJournal } from '../../src/jobs/erp/post-journals.ts';
import { quickbooksClientFor } from '../../src/jobs/erp/quickbooks-client-for-connection.ts';
import { quickbooksJournalPoster } from '../../src/jobs/erp/quickbooks-journal-poster.ts';
import type { ErpJournal } from '../../src/mappings/accounting/revenue-journal.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';
import { connectQuickBooksSandbox } from '../helpers/erp-connections.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// A period journal as a QuickBooks JournalEntry through node-quickbooks against the
// sandbox: exactly once when QuickBooks commits and the answer is lost (read back by
// DocNumber, requestid derived from connection, period, currency and sequence), and a
// journal that does not balance refused before it leaves the hub. The sandbox's accounts:
// 90 Deferred revenue, 80 Licence revenue; class Web 5000000000000012345, department North 1.

let hub: TestHub;
let qbo: QuickBooksSandbox;
let connectionId: string;

beforeAll(async () => {
  hub = await createTestHub();
  qbo = await startQuickBooksSandbox();
  connectionId = await connectQuickBooksSandbox(hub, qbo);
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await qbo?.close();
});

const journalEntries = () => qbo.company.list('JournalEntry');

async function prepared(period: string, lines: ErpJournal['lines']) {
  const key = journalKey(connectionId, period, 'USD', 1);
  const row = await hub.ctx.db
    .insertInto('revenue_journals')
    .values({ connection_id: connectionId, system: 'quickbooks', period, currency: 'USD', sequence: 1, idempotency_key: key })
    .returning('id')
    .executeTakeFirstOrThrow();
  const journal: ErpJournal = { key, number: `RJ-${period}-USD-1`, date: `${period}-28`, currency: 'USD', narration: `CSP Hub revenue recognised ${period} USD`, lines };
  return { journalId: row.id, connectionId, system: 'quickbooks' as const, period, currency: 'USD', entries: 2, journal };
}

describe('revenue journals to QuickBooks Online', () => {
  it('posts one JournalEntry even when QuickBooks commits and the answer is lost', async () => {
    const poster = quickbooksJournalPoster(await quickbooksClientFor(hub.ctx, connectionId));
    const journal = await prepared('2026-02', [
      { account: '90', description: 'Deferred revenue released', amount: new Decimal('72.33'), dimensions: { class: '5000000000000012345', department: '1' } },
      { account: '80', description: 'Revenue recognised', amount: new Decimal('-72.33'), dimensions: { class: '5000000000000012345', department: '1' } },
    ]);
    qbo.dropResponsesAfterCommit(1, 'journalentry');
    const first = await sendJournal(hub.ctx, poster, journal);
    expect(first).toMatchObject({ status: 'failed', retryable: true });
    expect(journalEntries()).toHaveLength(1);

    const second = await sendJournal(hub.ctx, poster, journal);
    const [entry] = journalEntries();
    expect(journalEntries()).toHaveLength(1);
    expect(second).toMatchObject({ status: 'posted', documentId: entry!.Id, total: '72.33' });
    expect(entry).toMatchObject({ DocNumber: 'RJ-2026-02-USD-1', TxnDate: '2026-02-28', CurrencyRef: { value: 'USD' }, TotalAmt: 72.33 });
    expect((entry!.Line as Record<string, any>[]).map((l) => [l.Amount, l.JournalEntryLineDetail.PostingType, l.JournalEntryLineDetail.AccountRef.value, l.JournalEntryLineDetail.ClassRef.value])).toEqual([
      [72.33, 'Debit', '90', '5000000000000012345'],
      [72.33, 'Credit', '80', '5000000000000012345'],
    ]);
    const stored = await hub.ctx.db.selectFrom('revenue_journals').select(['status', 'document_id', 'attempts']).where('id', '=', journal.journalId).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'posted', document_id: entry!.Id, attempts: 2 });
  });

  it('refuses a journal that does not balance before QuickBooks sees it, and the sandbox refuses one sent past the hub', async () => {
    const poster = quickbooksJournalPoster(await quickbooksClientFor(hub.ctx, connectionId));
    const writes = qbo.stats().writes;
    const outcome = await sendJournal(
      hub.ctx,
      poster,
      await prepared('2026-01', [
        { account: '90', description: 'Deferred revenue released', amount: new Decimal('72.33'), dimensions: null },
        { account: '80', description: 'Revenue recognised', amount: new Decimal('-72.30'), dimensions: null },
      ]),
    );
    expect(outcome).toMatchObject({ status: 'failed', retryable: false, error: 'journal RJ-2026-01-USD-1 does not balance: debits 72.33 USD, credits 72.3 USD; nothing was sent to the ERP' });
    expect(qbo.stats().writes).toBe(writes);

    const direct = await fetch(`${qbo.endpoint}${qbo.credentials.realmId}/journalentry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${qbo.accessToken()}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        Line: [
          { DetailType: 'JournalEntryLineDetail', Amount: 72.33, JournalEntryLineDetail: { PostingType: 'Debit', AccountRef: { value: '90' } } },
          { DetailType: 'JournalEntryLineDetail', Amount: 72.3, JournalEntryLineDetail: { PostingType: 'Credit', AccountRef: { value: '80' } } },
        ],
      }),
    });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as { Fault: { Error: { code: string; Detail: string }[] } }).Fault.Error[0]).toMatchObject({ code: '6000', Detail: expect.stringContaining('out of balance by 0.03') });
    expect(journalEntries()).toHaveLength(1);
  });
});
