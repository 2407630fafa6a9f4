import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONBOARDING_TEMPLATE_FIELD, OPPORTUNITIES } from '../../src/sandbox/salesforce/index.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { checkOnboarding } from '../../src/jobs/crm/onboarding-check.ts';
import { crmQuoteProbe, saveOnboardingTemplate, TRIAL_TEMPLATE } from '../helpers/crm-quotes.ts';
import { ingestLicenseRecords, ingestUsageRecords } from '../helpers/ingest-records.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// A trial's spend cap counts the trial customer's whole spend (Azure usage and licence
// seats) at the price its rate card bills, not Microsoft's Azure cost alone. Woodgrove's
// trial runs from the close date 2026-11-30 up to its conversion date 2026-12-30, capped at
// 750.00 EUR. The card (EUR, from 2026-11-01): storage at cost + 15 %, the Microsoft 365
// seat at a fixed 14.00, anything else at cost + 10 %. Worked by hand:
//   29 Nov storage 500.00             before the trial: not counted
//   30 Nov storage 200.00 × 1.15    = 230.00
//    1 Dec compute 100.00 × 1.10    = 110.00
//    1 Dec–31 Dec 15 seats × 14.00  = 210.00 (the whole month: Microsoft's cost 154.80)
//                                     550.00, under the cap
//    2 Dec storage 200.00 × 1.15    = 230.00 → 780.00, over it
//   30 Dec storage 999.00             the conversion day: not counted
// Microsoft's Azure cost alone would be 500.00, with the seats at cost 654.80: neither
// passes 750.00. Before the card is approved, every line counts at its cost.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';
const WOODGROVE = OPPORTUNITIES[2]!;
const TENANT = 'c0ffee00-0000-4000-8000-000000000013';

beforeAll(async () => {
  ({ sandbox, hub, hubUrl } = await salesforceHub({ sandbox: { now: () => new Date('2026-11-30T10:00:00Z') }, settings: { onboardingTemplateField: ONBOARDING_TEMPLATE_FIELD } }));
  await saveOnboardingTemplate(hub, 'trial', TRIAL_TEMPLATE);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, customersLinkedTo } = crmQuoteProbe(() => hub);
const base = { CustomerId: TENANT, CustomerName: 'Woodgrove Bank', BillingCurrency: 'EUR', PricingCurrency: 'EUR' };
const storage = (day: string, amount: string) =>
  usageRecord({ ...base, UsageDate: `${day} 0:00`, MeterCategory: 'Storage', MeterId: 'storage-meter-1', MeterName: 'LRS Data Stored', BillingPreTaxTotal: amount, PricingPreTaxTotal: amount });
const compute = (day: string, amount: string) => usageRecord({ ...base, UsageDate: `${day} 0:00`, BillingPreTaxTotal: amount, PricingPreTaxTotal: amount });
const spendCapAlerts = () => hub.ctx.db.selectFrom('alerts').select(['severity', 'message', 'detail']).where('kind', '=', 'trial.spend_cap').execute();

describe('trial spend cap', () => {
  it('counts Azure usage and licence seats at the price the rate card bills, from the close date up to the conversion date', async () => {
    sandbox.org.updateOpportunity(WOODGROVE.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Trial' });
    await sandbox.winOpportunity(WOODGROVE.Id, { deliverTo: hubUrl });
    await work();
    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', WOODGROVE.AccountId)) as [{ entity_id: string }];

    await ingestUsageRecords(hub.database, [storage('11/29/2026', '500.00'), storage('11/30/2026', '200.00'), compute('12/1/2026', '100.00')]);
    await ingestLicenseRecords(hub.database, [
      licenseRecord({ ...base, Currency: 'EUR', PricingCurrency: 'EUR', PCToBCExchangeRate: '1', ChargeStartDate: '12/1/2026 0:00', ChargeEndDate: '12/31/2026 0:00', Subtotal: '154.80', TotalForCustomer: '154.80' }),
    ]);
    // No approved card yet: 200.00 + 100.00 + 154.80 = 454.80 at cost, under the cap.
    expect(await checkOnboarding({ today: '2026-12-02' }, hub.ctx)).toMatchObject({ spendCaps: 0 });

    // The won deal requested the card's first version, pending; finance asks for another with the trial's prices.
    const card = await hub.ctx.db.selectFrom('rate_cards').select('id').where('customer_id', '=', customerId).executeTakeFirstOrThrow();
    const version = await hub.app.inject({
      method: 'POST',
      url: `/v1/rate-cards/${card.id}/versions`,
      headers: hub.auth(hub.keys.admin),
      payload: {
        currency: 'EUR',
        effectiveFrom: '2026-11-01',
        justification: 'Trial prices',
        rules: [
          { match: { category: 'storage' }, basis: 'cost', markupPercent: '15' },
          { match: { sku: 'CFQ7TTC0LDPB:0001' }, unitPrice: '14.00' },
          { match: { default: true }, basis: 'cost', markupPercent: '10' },
        ],
      },
    });
    expect(version.statusCode, version.body).toBe(201);
    for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
      const approved = await hub.app.inject({ method: 'POST', url: `/v1/rate-cards/${card.id}/versions/${version.json().version}/approve`, headers: hub.auth(key), payload: {} });
      expect(approved.statusCode, approved.body).toBe(200);
    }
    // 230.00 + 110.00 + 210.00 = 550.00: still under.
    expect(await checkOnboarding({ today: '2026-12-02' }, hub.ctx)).toMatchObject({ spendCaps: 0 });

    await ingestUsageRecords(hub.database, [storage('12/2/2026', '200.00'), storage('12/30/2026', '999.00')]);
    expect(await checkOnboarding({ today: '2026-12-03' }, hub.ctx)).toMatchObject({ spendCaps: 1 });
    expect(await spendCapAlerts()).toEqual([
      {
        severity: 'critical',
        message: "Woodgrove Bank: trial spend 780.00 EUR since 2026-11-30 has passed the trial's cap of 750.00",
        detail: expect.objectContaining({ spend: '780.00', priced: '780.00', atCost: '0.00', usageLines: 3, licenceLines: 1, unpricedLines: 0, cap: '750.00', startsOn: '2026-11-30', convertsOn: '2026-12-30' }),
      },
    ]);
  });
});
