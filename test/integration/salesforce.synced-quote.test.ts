import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPPORTUNITIES, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// An opportunity with a synced quote (Opportunity.SyncedQuoteId) is billed from the quote's
// QuoteLineItems, the lines the customer accepted; QuoteLineItem has no Name or ProductCode
// of its own, so those come from its Product2. The sandbox keeps the opportunity's own
// lines as they were, so the figures show which lines the hub read.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';

const [ADATUM, TAILSPIN] = OPPORTUNITIES as [(typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number]];

beforeAll(async () => {
  ({ sandbox, hub, hubUrl } = await salesforceHub());
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, get, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);

describe('Salesforce synced quote', () => {
  it("quotes the synced quote's lines, not the opportunity's", async () => {
    const quote = sandbox.org.createSyncedQuote(ADATUM.Id)!;
    const quoteLines = sandbox.org.all('QuoteLineItem').filter((l) => l.QuoteId === quote.Id);
    expect(quoteLines).toHaveLength(2);
    // The customer accepted 50 seats; the opportunity's line still says 40.
    sandbox.org.updateQuoteLine(String(quoteLines[0]!.Id), { Quantity: 50 });
    await sandbox.winOpportunity(ADATUM.Id, { deliverTo: hubUrl });
    await work();

    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', ADATUM.AccountId)) as [{ entity_id: string }];
    const [recorded, ...more] = await quotesOf(customerId);
    expect(more).toEqual([]);
    // 50 × (22.00 less 10 % = 19.80) = 990.00, plus Azure compute 2,300.00: 3,290.00.
    expect(recorded).toMatchObject({ revision: 1, currency: 'USD', monthly_total: '3290', azure_monthly_budget: '2300' });
    const lines = await hub.ctx.db.selectFrom('quote_lines').select(['sku', 'name', 'quantity', 'source']).where('quote_id', '=', recorded!.id).orderBy('position').execute();
    expect(lines.map((l) => [l.sku, l.name, l.quantity, (l.source as { Id: string }).Id])).toEqual([
      ['CFQ7TTC0LCHC:0002', 'Microsoft 365 Business Premium', '50', quoteLines[0]!.Id],
      [null, 'Azure consumption - compute', '1', quoteLines[1]!.Id],
    ]);
    const seats = await hub.ctx.db.selectFrom('quote_expected_seats').select(['sku', 'seats']).where('quote_id', '=', recorded!.id).execute();
    expect(seats).toEqual([{ sku: 'CFQ7TTC0LCHC:0002', seats: '50' }]);
  });

  it("names the product's code when a synced quote line cannot be mapped", async () => {
    sandbox.org.createSyncedQuote(TAILSPIN.Id);
    const setupLine = sandbox.org.all('QuoteLineItem').find((l) => l.OpportunityLineItemId === TAILSPIN.lines[1]!.Id)!;
    await sandbox.winOpportunity(TAILSPIN.Id, { deliverTo: hubUrl });
    await work();
    const exceptions = await get('/v1/quote-exceptions');
    const tailspin = exceptions.items.find((x: { crm: { dealId: string } }) => x.crm.dealId === TAILSPIN.Id);
    expect(tailspin.problems).toEqual([
      { lineItemId: setupLine.Id, name: 'Tenant setup', reason: 'Product2.ProductCode SVC-SETUP is neither a Partner Center SKU (ProductId:SkuId) nor azure:<charge category>' },
    ]);
  });
});
