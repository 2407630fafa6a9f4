import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ONBOARDING_TEMPLATE_FIELD, OPPORTUNITIES, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { checkOnboarding } from '../../src/jobs/crm/onboarding-check.ts';
import { checkQuoteBudgets } from '../../src/jobs/crm/budget-check.ts';
import { crmQuoteProbe, saveOnboardingTemplate, TRIAL_TEMPLATE } from '../helpers/crm-quotes.ts';
import { ingestUsageRecords } from '../helpers/ingest-records.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// The Salesforce side of onboarding templates: the Opportunity field the connection names
// in `onboardingTemplateField` chooses the template, as HubSpot's deal property does; and
// what the templates store acting as alerts. The sandbox's clock is fixed at 30 November
// 2026, the close date of every opportunity won here, so the dates are worked by hand.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';

const [ADATUM, , WOODGROVE] = OPPORTUNITIES as [(typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number]];

beforeAll(async () => {
  ({ sandbox, hub, hubUrl } = await salesforceHub({ sandbox: { now: () => new Date('2026-11-30T10:00:00Z') }, settings: { onboardingTemplateField: ONBOARDING_TEMPLATE_FIELD } }));
  await saveOnboardingTemplate(hub, 'enterprise', {
    name: 'Enterprise',
    costNodes: [
      { path: ['Operations'], kind: 'department' },
      { path: ['Operations', 'Datacenter'], kind: 'team' },
    ],
    invoiceFormat: 'detailed',
    reviewCadence: 'quarterly',
    justification: 'Large accounts',
  });
  await saveOnboardingTemplate(hub, 'trial', TRIAL_TEMPLATE);
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const { work, customersLinkedTo, quotesOf } = crmQuoteProbe(() => hub);

const WOODGROVE_TENANT = 'c0ffee00-0000-4000-8000-000000000013';
/** Microsoft's Azure cost of one day for Woodgrove, in euros. */
const woodgroveUsage = (usageDate: string, amount: string) =>
  usageRecord({ CustomerId: WOODGROVE_TENANT, CustomerName: 'Woodgrove Bank', UsageDate: `${usageDate} 0:00`, BillingPreTaxTotal: amount, PricingPreTaxTotal: amount, BillingCurrency: 'EUR', PricingCurrency: 'EUR' });
const check = (today: string) => checkOnboarding({ today }, hub.ctx);
const alertsOf = (kind: string) =>
  hub.ctx.db.selectFrom('alerts').innerJoin('customers', 'customers.id', 'alerts.customer_id').select(['customers.name', 'alerts.severity', 'alerts.detail']).where('kind', '=', kind).orderBy('customers.name').orderBy('alerts.created_at').execute();

describe('Salesforce onboarding templates', () => {
  it('applies the template the Opportunity field names ("Enterprise" picks enterprise) in the quote transaction', async () => {
    sandbox.org.updateOpportunity(ADATUM.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Enterprise' });
    await sandbox.winOpportunity(ADATUM.Id, { deliverTo: hubUrl });
    await work();

    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', ADATUM.AccountId)) as [{ entity_id: string }];
    const customer = await hub.ctx.db.selectFrom('customers').select(['onboarding_template', 'invoice_format', 'review_cadence']).where('id', '=', customerId).executeTakeFirstOrThrow();
    expect(customer).toEqual({ onboarding_template: 'enterprise', invoice_format: 'detailed', review_cadence: 'quarterly' });
    const nodes = await hub.ctx.db.selectFrom('cost_nodes').select(['name', 'kind']).where('customer_id', '=', customerId).where('kind', '!=', 'unallocated').orderBy('name').execute();
    expect(nodes).toEqual([
      { name: 'Datacenter', kind: 'team' },
      { name: 'Operations', kind: 'department' },
    ]);
    const [quote] = await quotesOf(customerId);
    // Not a trial: no cap, no conversion date.
    expect(quote).toMatchObject({ revision: 1, onboarding_template: 'enterprise', trial_spend_cap: null, trial_conversion_date: null });
  });

  it('turns an opportunity naming an unknown template into an exception naming the field, writing no customer', async () => {
    sandbox.org.updateOpportunity(WOODGROVE.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Platinum' });
    await sandbox.winOpportunity(WOODGROVE.Id, { deliverTo: hubUrl });
    await work();
    expect(await customersLinkedTo('salesforce', WOODGROVE.AccountId)).toEqual([]);
    const res = await hub.app.inject({ method: 'GET', url: '/v1/quote-exceptions', headers: hub.auth(hub.keys.sales_ops) });
    expect(res.statusCode).toBe(200);
    const exception = res.json().items.find((x: { crm: { dealId: string } }) => x.crm.dealId === WOODGROVE.Id);
    expect(exception.problems).toEqual([{ reason: 'Onboarding_Template__c "Platinum" names no onboarding template (GET /v1/onboarding-templates lists them)' }]);
  });
  it("raises a trial's spend cap once when its spend since the close passes the cap, and its conversion reminder seven days ahead", async () => {
    sandbox.org.updateOpportunity(WOODGROVE.Id, { [ONBOARDING_TEMPLATE_FIELD]: 'Trial' });
    await sandbox.winOpportunity(WOODGROVE.Id, { deliverTo: hubUrl });
    await work();
    const [{ entity_id: customerId }] = (await customersLinkedTo('salesforce', WOODGROVE.AccountId)) as [{ entity_id: string }];
    // Closed 2026-11-30; 30 days later is 2026-12-30.
    expect(await quotesOf(customerId)).toMatchObject([{ currency: 'EUR', trial_spend_cap: '750.00', trial_conversion_date: '2026-12-30' }]);

    // 29 Nov is before the trial: only 400.00 + 300.00 = 700.00 counts, under the 750.00 cap.
    await ingestUsageRecords(hub.database, [woodgroveUsage('11/29/2026', '500.00'), woodgroveUsage('11/30/2026', '400.00'), woodgroveUsage('12/1/2026', '300.00')]);
    expect(await check('2026-12-01')).toEqual({ today: '2026-12-01', reviews: 0, spendCaps: 0, conversions: 0 });
    // Another 100.00: 800.00 passes the cap. The check after a sync raises it; the daily one finds it raised.
    await ingestUsageRecords(hub.database, [woodgroveUsage('12/2/2026', '100.00')]);
    expect(await checkQuoteBudgets({ period: '2026-12' }, hub.ctx)).toMatchObject({ trialCapsRaised: 1 });
    expect(await check('2026-12-02')).toMatchObject({ spendCaps: 0 });
    expect(await alertsOf('trial.spend_cap')).toEqual([
      { name: 'Woodgrove Bank', severity: 'critical', detail: expect.objectContaining({ cap: '750.00', spend: '800.00', currency: 'EUR', startsOn: '2026-11-30', convertsOn: '2026-12-30' }) },
    ]);

    // Conversion on 30 Dec: announced from 23 Dec, once. The monthly review (30 Dec) is announced the same day.
    expect(await check('2026-12-22')).toEqual({ today: '2026-12-22', reviews: 0, spendCaps: 0, conversions: 0 });
    expect(await check('2026-12-23')).toEqual({ today: '2026-12-23', reviews: 1, spendCaps: 0, conversions: 1 });
    expect(await check('2026-12-24')).toEqual({ today: '2026-12-24', reviews: 0, spendCaps: 0, conversions: 0 });
    expect(await alertsOf('trial.conversion_due')).toEqual([{ name: 'Woodgrove Bank', severity: 'warning', detail: expect.objectContaining({ convertsOn: '2026-12-30' }) }]);
  });

  it('reminds of each review seven days before the cadence puts it due, counted from the onboarding date', async () => {
    // Both onboarded 2026-11-30. Adatum quarterly: 30 Nov + 3 months is 30 Feb, clamped to
    // 28 Feb 2027. Woodgrove monthly: 30 Dec, 30 Jan, 28 Feb. So 21 Feb announces both.
    expect(await check('2027-02-20')).toMatchObject({ reviews: 0 });
    expect(await check('2027-02-21')).toMatchObject({ reviews: 2 });
    expect(await check('2027-02-22')).toMatchObject({ reviews: 0 });
    const reviews = await alertsOf('onboarding.review_due');
    expect(reviews.map((r) => [r.name, r.severity, (r.detail as { dueOn: string }).dueOn, (r.detail as { cadence: string }).cadence])).toEqual([
      ['Adatum Corporation', 'info', '2027-02-28', 'quarterly'],
      ['Woodgrove Bank', 'info', '2026-12-30', 'monthly'],
      ['Woodgrove Bank', 'info', '2027-02-28', 'monthly'],
    ]);
    // After the 28th, Adatum's next is 30 May: nothing to announce on 1 March.
    expect(await check('2027-03-01')).toMatchObject({ reviews: 0 });
  });
});
