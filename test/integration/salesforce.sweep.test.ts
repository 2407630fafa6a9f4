import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepWonOpportunities } from '../../src/jobs/salesforce/sweep-won.ts';
import { OPPORTUNITIES, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { crmQuoteProbe } from '../helpers/crm-quotes.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// Salesforce retries an Outbound Message for 24 hours and then drops it. The sweep asks
// the org for opportunities won lately and recovers each one no notification named since
// its last change, through the webhook path, so a late delivery changes nothing.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';

const [ADATUM, , WOODGROVE] = OPPORTUNITIES as [(typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number]];

beforeAll(async () => {
  ({ sandbox, hub, hubUrl } = await salesforceHub());
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);
const count = async (table: 'customers' | 'quotes' | 'rate_card_versions') => Number((await hub.ctx.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
// No grace: the sandbox's opportunities were changed a moment ago.
const sweep = () => sweepWonOpportunities({ graceMinutes: 0 }, hub.ctx, new Date(Date.now() + 1000));

describe('Salesforce sweep for dropped Outbound Messages', () => {
  it('recovers a won opportunity whose message never arrived, exactly once, and leaves the delivered one alone', async () => {
    // Woodgrove's message arrives; Adatum's is dropped (won with no delivery at all).
    await sandbox.winOpportunity(WOODGROVE.Id, { deliverTo: hubUrl });
    await sandbox.winOpportunity(ADATUM.Id);
    await work();
    expect(await customersLinkedTo('salesforce', ADATUM.AccountId)).toEqual([]);
    const before = { customers: await count('customers'), quotes: await count('quotes'), versions: await count('rate_card_versions') };

    const first = await sweep();
    expect(first).toEqual({ connections: 1, won: 2, recovered: [ADATUM.Id] });
    await work();
    const [{ entity_id: customerId }, ...others] = (await customersLinkedTo('salesforce', ADATUM.AccountId)) as [{ entity_id: string }];
    expect(others).toEqual([]);
    // 40 × 19.80 + 2,300.00, as the webhook path records it.
    expect((await quotesOf(customerId)).map((q) => [q.revision, q.monthly_total])).toEqual([[1, '3092']]);

    // A second sweep finds its own event; Salesforce's late delivery of the same win is the same revision.
    expect(await sweep()).toEqual({ connections: 1, won: 2, recovered: [] });
    await work();
    const inbox = await hub.ctx.db.selectFrom('webhook_inbox').select(['body', 'status']).execute();
    await sandbox.winOpportunity(ADATUM.Id, { deliverTo: hubUrl });
    await work();
    expect(await sweep()).toEqual({ connections: 1, won: 2, recovered: [] });
    await work();
    expect((await quotesOf(customerId)).map((q) => q.revision)).toEqual([1]);
    expect({ customers: await count('customers'), quotes: await count('quotes'), versions: await count('rate_card_versions') }).toEqual({
      customers: before.customers + 1,
      quotes: before.quotes + 1,
      versions: before.versions + 1,
    });
    expect(inbox.map((r) => [JSON.parse(r.body).source, r.status]).sort()).toEqual([
      ['outbound-message', 'processed'],
      ['sweep', 'processed'],
    ]);
  });

  it('leaves opportunities changed within the grace period to their notification', async () => {
    expect(await sweepWonOpportunities({}, hub.ctx)).toMatchObject({ won: 0, recovered: [] });
  });
});
