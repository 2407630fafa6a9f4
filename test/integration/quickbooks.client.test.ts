import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/connectors/http/limits.ts';
import { QuickBooksCallError, QuickBooksPostingClient } from '../../src/connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../../src/connectors/quickbooks/declaration.ts';
import { startQuickBooksSandbox, type QuickBooksSandbox } from '../../src/sandbox/quickbooks/server.ts';

const facts = JSON.parse(readFileSync(new URL('../fixtures/vendor/quickbooks/facts.json', import.meta.url), 'utf8')) as {
  requestsPerMinutePerRealm: number;
  maxConcurrentPerRealm: number;
  requestIdMaxLength: number;
  docNumberMaxLength: number;
  faultCodes: Record<string, string>;
};

let qbo: QuickBooksSandbox;
beforeAll(async () => {
  qbo = await startQuickBooksSandbox();
});
afterAll(() => qbo.close());

// A refresh may rotate the refresh token: each client starts from the latest one stored.
const stored: string[] = [];

function client(waits: number[], maxConcurrent = 10) {
  return new QuickBooksPostingClient({
    credentials: { clientId: qbo.credentials.clientId, clientSecret: qbo.credentials.clientSecret, refreshToken: stored.at(-1) ?? qbo.credentials.refreshToken },
    realmId: qbo.credentials.realmId,
    endpoint: qbo.endpoint,
    tokenUrl: qbo.tokenUrl,
    limiter: createLimiter({ maxConcurrent }),
    onRefreshToken: async (token) => {
      stored.push(token);
    },
    // Waits are recorded instead of slept: the test checks each is the Retry-After sent.
    wait: async (ms) => {
      waits.push(ms);
    },
  });
}

describe('the QuickBooks client (node-quickbooks on the sandbox)', () => {
  it('declares the documented limits and field lengths', () => {
    expect(quickbooksDeclaration.limits).toEqual({ requestsPerMinute: facts.requestsPerMinutePerRealm, maxConcurrent: facts.maxConcurrentPerRealm });
    expect(quickbooksDeclaration.requestIdMaxLength).toBe(facts.requestIdMaxLength);
    expect(quickbooksDeclaration.docNumberMaxLength).toBe(facts.docNumberMaxLength);
  });

  it('survives a 429 storm: every create lands once, each wait is the Retry-After', async () => {
    qbo.refuseEveryNth(2);
    const waits: number[] = [];
    const qc = client(waits);
    const before = qbo.stats();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => qc.createCustomer({ DisplayName: `Storm ${i}` }, `storm-customer-${i}`)));
    qbo.refuseEveryNth(0);
    expect(new Set(made.map((c) => c.Id)).size).toBe(8);
    expect([...qbo.company.customers.values()].filter((c) => String(c.DisplayName).startsWith('Storm '))).toHaveLength(8);
    const throttled = qbo.stats().throttled - before.throttled;
    expect(throttled).toBeGreaterThan(0);
    expect(waits).toHaveLength(throttled);
    expect(new Set(waits)).toEqual(new Set([1000]));
    expect(stored).toHaveLength(1);
  });

  it('answers a repeated requestid with the first result, not a second customer', async () => {
    const qc = client([]);
    const first = await qc.createCustomer({ DisplayName: 'Once Only Ltd' }, 'hub-customer-once');
    // A repeat with another body still gets the first answer: the requestid decides.
    const again = await qc.createCustomer({ DisplayName: 'Once Only Ltd (retry)' }, 'hub-customer-once');
    expect(again.Id).toBe(first.Id);
    expect([...qbo.company.customers.values()].filter((c) => String(c.DisplayName).startsWith('Once Only'))).toHaveLength(1);
  });

  it("reports QuickBooks' Fault codes and details", async () => {
    const qc = client([]);
    const failure = await qc.createItem({ Name: 'Bad item', Type: 'Service', IncomeAccountRef: { value: '999' } }, 'bad-item').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QuickBooksCallError);
    expect((failure as QuickBooksCallError).status).toBe(400);
    expect((failure as QuickBooksCallError).codes).toEqual([facts.faultCodes.invalidReference]);
    const missing = await qc.getInvoice('424242').catch((e: unknown) => e);
    expect((missing as QuickBooksCallError).codes).toEqual([facts.faultCodes.objectNotFound]);

    const raw = await fetch(`${qbo.endpoint}${qbo.credentials.realmId}/item?minorversion=75`, {
      method: 'POST',
      headers: { authorization: `Bearer ${qbo.accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'Also bad', Type: 'Service' }),
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { Fault: { Error: { Message: string; Detail: string; code: string; element: string }[]; type: string }; time: string };
    expect(body.Fault.type).toBe('ValidationFault');
    expect(Object.keys(body.Fault.Error[0]!).sort()).toEqual(['Detail', 'Message', 'code', 'element']);
    expect(body.Fault.Error[0]!.element).toBe('IncomeAccountRef');
  });

  it('refuses more than 10 requests at a time with 429', async () => {
    const token = qbo.accessToken();
    const before = qbo.stats();
    const answers = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${qbo.endpoint}${qbo.credentials.realmId}/query?query=${encodeURIComponent('select * from Account')}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status)),
    );
    expect(answers.filter((s) => s === 200).length).toBeGreaterThanOrEqual(facts.maxConcurrentPerRealm);
    expect(answers.every((s) => s === 200 || s === 429)).toBe(true);
    expect(qbo.stats().maxInFlight).toBeLessThanOrEqual(facts.maxConcurrentPerRealm);
    expect(qbo.stats().calls - before.calls).toBe(30);
  });

  it('refuses a dead refresh token with a message that says to reconnect', async () => {
    const qc = new QuickBooksPostingClient({
      credentials: { ...qbo.credentials, refreshToken: 'AB11-used-long-ago' },
      realmId: qbo.credentials.realmId,
      endpoint: qbo.endpoint,
      tokenUrl: qbo.tokenUrl,
      limiter: createLimiter({ maxConcurrent: 1 }),
      onRefreshToken: async () => undefined,
    });
    await expect(qc.findInvoiceByDocNumber('X')).rejects.toThrow(/invalid_grant.*reconnect the QuickBooks connection/);
  });
});

describe('the QuickBooks sandbox limit', () => {
  it('refuses the 501st request in a minute with 429', async () => {
    const sandbox = await startQuickBooksSandbox({ timeScale: 0.5 });
    try {
      const token = sandbox.accessToken();
      const url = `${sandbox.endpoint}${sandbox.credentials.realmId}/query?query=${encodeURIComponent('select * from Class')}`;
      const statuses: number[] = [];
      for (let i = 0; i < facts.requestsPerMinutePerRealm + 1; i++) statuses.push((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status);
      expect(statuses.slice(0, facts.requestsPerMinutePerRealm).every((s) => s === 200)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
    } finally {
      await sandbox.close();
    }
  }, 30_000);
});
