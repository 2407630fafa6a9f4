import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import type { RetryEvent } from '../../../src/connectors/http/types.ts';
import { NetSuiteClient } from '../../../src/connectors/netsuite/client.ts';
import { NetSuiteCallError } from '../../../src/connectors/netsuite/errors.ts';
import { Decimal } from '../../../src/engine/decimal.ts';
import { toNetSuiteJournal } from '../../../src/mappings/netsuite/journal.ts';
import { startNetSuiteSandbox, type NetSuiteSandbox } from '../../../src/sandbox/netsuite/server.ts';

// The NetSuite client against the sandbox: the record API's shapes and errors as Oracle
// documents them (test/fixtures/vendor/netsuite/facts.json), the account's concurrency
// limit, and journal entries posted exactly once.

const facts = JSON.parse(readFileSync(new URL('../../fixtures/vendor/netsuite/facts.json', import.meta.url), 'utf8'));

let ns: NetSuiteSandbox;
const clientWith = (maxConcurrent: number, onRetry?: (e: RetryEvent) => void) =>
  new NetSuiteClient({ credentials: ns.credentials, baseUrl: ns.url, limiter: createLimiter({ maxConcurrent }), ...(onRetry ? { onRetry } : {}) });

beforeAll(async () => {
  ns = await startNetSuiteSandbox({ latencyMs: 60 });
});
afterAll(async () => ns?.close());

const journal = (externalId: string, credit = '187.00') =>
  toNetSuiteJournal({
    externalId,
    subsidiaryId: '1',
    currencyId: '1',
    currency: 'USD',
    tranDate: '2026-01-31',
    memo: 'Revenue recognised 2026-01',
    lines: [
      { account: '58', debit: new Decimal('187.00') },
      { account: '55', credit: new Decimal(credit), dimensions: { department: '5', class: '4', location: '1' } },
    ],
  });

describe('NetSuite record API (sandbox)', () => {
  it('creates with 204 and a Location, reads by id or external id (none: undefined), and refuses an unsigned request', async () => {
    const ns1 = clientWith(5);
    const id = await ns1.upsert('customer', 'hub-customer-1', { companyName: 'Contoso Ltd', subsidiary: { id: '1' } });
    expect(await ns1.getRecord('customer', { externalId: 'hub-customer-1' })).toMatchObject({ id, companyName: 'Contoso Ltd', subsidiary: { id: '1', refName: 'Parent Company' } });
    expect(await ns1.getRecord('customer', { externalId: 'hub-customer-none' })).toBeUndefined();
    const raw = await fetch(`${ns.url}${facts.recordApiPrefix}/customer/${id}`);
    expect(raw.status).toBe(facts.badLoginStatus);
    // Upserting the same external id again updates the one record.
    expect(await ns1.upsert('customer', 'hub-customer-1', { companyName: 'Contoso Limited' })).toBe(id);
    expect(ns.account.all('customer')).toHaveLength(1);
    expect(await ns1.findIds('currency', 'symbol IS "EUR"')).toEqual(['4']);
  });

  it("refuses an invalid reference with 400 INVALID_CONTENT naming the field's path", async () => {
    const ns1 = clientWith(5);
    const item = await ns1.upsert('nonInventorySaleItem', 'hub-item-55', { itemId: 'Azure', incomeAccount: { id: '55' } });
    const customer = await ns1.upsert('customer', 'hub-customer-2', { companyName: 'Northwind' });
    const body = { entity: { id: customer }, currency: { id: '1' }, tranDate: '2026-01-31', item: { items: [{ item: { id: item }, quantity: 1, rate: 10, amount: 10, department: { id: '999' } }] } };
    const err = (await ns1.upsert('invoice', 'hub-inv-x-r1', body).catch((e: unknown) => e)) as NetSuiteCallError;
    expect(err).toBeInstanceOf(NetSuiteCallError);
    expect(err.status).toBe(400);
    expect(err.details).toEqual([expect.objectContaining({ 'o:errorCode': facts.invalidValueCode, 'o:errorPath': 'item.items[0].department' })]);
    expect(err.message).toContain('item.items[0].department');
    // A valid one: sublists come back as links unless expanded.
    const id = await ns1.upsert('invoice', 'hub-inv-x-r1', { ...body, item: { items: [{ ...body.item.items[0]!, department: { id: '5' } }] } }, { replace: 'item' });
    expect((await ns1.getRecord('invoice', { id }))!.item).toEqual({ links: [expect.objectContaining({ rel: 'self' })] });
    expect((await ns1.getRecord('invoice', { id }, { expand: true }))!.item).toMatchObject({ items: [{ amount: '10', department: { id: '5', refName: 'Engineering' } }] });
  });

  it('keeps within the account concurrency limit, and rides out the 429s of a client that does not', async () => {
    const within = clientWith(facts.standardTierConcurrency);
    const before = ns.stats();
    await Promise.all(Array.from({ length: 20 }, () => within.getRecord('account', { id: '54' })));
    expect(ns.stats().throttled - before.throttled).toBe(0);
    expect(ns.stats().maxInFlight).toBeLessThanOrEqual(facts.standardTierConcurrency);

    const retries: RetryEvent[] = [];
    const greedy = clientWith(12, (e) => retries.push(e));
    const results = await Promise.all(Array.from({ length: 20 }, () => greedy.getRecord('account', { id: '54' })));
    expect(results.every((r) => r?.acctNumber === '4000')).toBe(true);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((r) => r.status === facts.throttledStatus)).toBe(true);
  }, 60_000);

  it("honours Retry-After on a 429 storm", async () => {
    const retries: RetryEvent[] = [];
    const ns1 = clientWith(5, (e) => retries.push(e));
    ns.refuseEveryNth(2);
    try {
      for (let i = 0; i < 4; i++) expect(await ns1.getRecord('account', { id: '55' })).toMatchObject({ acctNumber: '4010' });
    } finally {
      ns.refuseEveryNth(0);
    }
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.map((r) => r.delayMs)).toEqual(retries.map(() => 1000));
  }, 30_000);

  it('posts a journal entry once: repeated, or with its answer dropped after NetSuite committed it', async () => {
    const ns1 = clientWith(5);
    const first = await ns1.postJournal(journal('hub-je-2026-01-USD'));
    const again = await ns1.postJournal(journal('hub-je-2026-01-USD'));
    expect(again.id).toBe(first.id);
    ns.dropResponsesAfterCommit(1, 'journalEntry');
    const dropped = await ns1.postJournal(journal('hub-je-2026-02-USD'));
    expect(ns.stats().dropped).toBe(1);
    const entries = ns.account.all('journalEntry');
    expect(entries.map((e) => e.externalId).sort()).toEqual(['hub-je-2026-01-USD', 'hub-je-2026-02-USD']);
    expect(entries.find((e) => e.id === dropped.id)!.line).toMatchObject({ items: [{ debit: 187 }, { credit: 187, department: { id: '5' } }] });
  });

  it('refuses an unbalanced journal: the hub before sending it, the sandbox if it arrives', async () => {
    const writes = ns.stats().writes;
    expect(() => journal('hub-je-bad', '186.99')).toThrow(/do not balance/);
    expect(ns.stats().writes).toBe(writes);
    const raw = { externalId: 'hub-je-bad', currency: { id: '1' }, tranDate: '2026-01-31', line: { items: [{ account: { id: '58' }, debit: 187 }, { account: { id: '55' }, credit: 186.99 }] } };
    const err = (await clientWith(5).upsert('journalEntry', 'hub-je-bad', raw).catch((e: unknown) => e)) as NetSuiteCallError;
    expect(err.status).toBe(400);
    expect(err.details[0]).toMatchObject({ 'o:errorPath': 'line' });
    expect(ns.account.get('journalEntry', { externalId: 'hub-je-bad' })).toBeUndefined();
  });
});
