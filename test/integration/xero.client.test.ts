import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLimiter } from '../../src/connectors/http/limits.ts';
import { XeroCallError, XeroPostingClient } from '../../src/connectors/xero/client.ts';
import { startXeroSandbox, type XeroSandbox } from '../../src/sandbox/xero/server.ts';

let xero: XeroSandbox;
beforeAll(async () => {
  xero = await startXeroSandbox();
});
afterAll(() => xero.close());

// Xero's refresh tokens are single use: each client starts from the latest one issued.
const stored: string[] = [];

function client(waits: number[]) {
  return new XeroPostingClient({
    credentials: { clientId: xero.credentials.clientId, clientSecret: xero.credentials.clientSecret, refreshToken: stored.at(-1) ?? xero.credentials.refreshToken },
    tenantId: xero.credentials.tenantId,
    apiUrl: xero.apiUrl,
    tokenUrl: xero.tokenUrl,
    limiter: createLimiter({ maxConcurrent: 5 }),
    onRefreshToken: async (token) => {
      stored.push(token);
    },
    // Waits are recorded instead of slept: the test checks they are the Retry-After Xero sent.
    wait: async (ms) => {
      waits.push(ms);
    },
  });
}

describe('the Xero client (xero-node on the sandbox)', () => {
  it('survives a 429 storm: every call lands once, each wait is the Retry-After', async () => {
    xero.setThrottle({ everyNth: 2, everyNthRetryAfterSeconds: 3 });
    const waits: number[] = [];
    const xc = client(waits);
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => xc.createContact({ name: `Storm ${i}`, contactNumber: `storm-${i}` }, `storm-contact-${i}`)));
    xero.setThrottle({});
    expect(new Set(made.map((c) => c.contactID)).size).toBe(8);
    expect([...xero.organisation.contacts.values()].filter((c) => String(c.Name).startsWith('Storm '))).toHaveLength(8);
    // Every second call refused: calls 1, 3, …, 15 land (8 contacts), calls 2, 4, …, 14 get 429 (7).
    expect(xero.stats().throttled).toBe(7);
    expect(waits.length).toBe(xero.stats().throttled);
    expect(new Set(waits)).toEqual(new Set([3000]));
    // One refresh for the whole client, its successor handed over to be stored.
    expect(stored).toHaveLength(1);
  });

  it("reports Xero's validation messages", async () => {
    const xc = client([]);
    const failure = await xc.createInvoice({ type: 'ACCREC' as never, contact: { contactID: '00000000-0000-4000-8000-000000000000' }, lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '999' }] }, 'bad-invoice').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(XeroCallError);
    expect((failure as XeroCallError).status).toBe(400);
    expect((failure as XeroCallError).validationErrors).toEqual(['A Contact must be specified for this type of transaction', "Account code '999' is not a valid code for this document."]);
  });

  it('refuses a dead refresh token with a message that says to reconnect', async () => {
    const xc = new XeroPostingClient({
      credentials: { ...xero.credentials, refreshToken: 'rt-used-long-ago' },
      tenantId: xero.credentials.tenantId,
      apiUrl: xero.apiUrl,
      tokenUrl: xero.tokenUrl,
      limiter: createLimiter({}),
      onRefreshToken: async () => {},
    });
    await expect(xc.findInvoiceByNumber('X')).rejects.toThrow(/invalid_grant.*reconnect/);
  });

  it('takes an invoice already voided as voided when a late re-run voids it again with a new key', async () => {
    const xc = client([]);
    const contact = await xc.createContact({ name: 'Void Twice Ltd' }, 'void-twice-contact');
    const invoice = await xc.createInvoice(
      { type: 'ACCREC' as never, contact: { contactID: contact.contactID! }, invoiceNumber: 'VOID-TWICE', status: 'AUTHORISED' as never, lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '200' }] },
      'void-twice-invoice',
    );
    expect(String((await xc.voidInvoice(invoice.invoiceID!, 'void-1')).status)).toBe('VOIDED');
    expect(String((await xc.voidInvoice(invoice.invoiceID!, 'void-2')).status)).toBe('VOIDED');
    // A DRAFT cannot be voided: that refusal still surfaces.
    const draft = await xc.createInvoice({ type: 'ACCREC' as never, contact: { contactID: contact.contactID! }, lineItems: [{ description: 'y', quantity: 1, unitAmount: 1, accountCode: '200' }] }, 'draft-invoice');
    await expect(xc.voidInvoice(draft.invoiceID!, 'void-draft')).rejects.toThrow(/not of valid status/);
  });
});
