import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOnboarding } from '../../src/jobs/crm/onboarding-check.ts';
import { ONBOARDING_TEMPLATE_FIELD, OPPORTUNITIES, type SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { crmQuoteProbe, saveOnboardingTemplate, TRIAL_TEMPLATE } from '../helpers/crm-quotes.ts';
import { salesforceHub } from '../helpers/salesforce-connection.ts';
import type { TestHub } from '../helpers/test-hub.ts';

// Due account reviews and recording one. Both customers are onboarded on 2026-11-30 (the
// sandbox's fixed close date): Adatum quarterly (enterprise), Woodgrove monthly (trial).
// Worked by hand:
// - Adatum: 30 Nov + 3 months = 30 Feb, clamped to 2027-02-28.
// - Woodgrove: 30 Nov + 1 month = 2026-12-30. Reviewed on 5 Dec: next 2027-01-05.
// - As of 2027-03-01: Woodgrove's 30 Dec is 61 days overdue (1 + 31 + 28 + 1), after
//   the review its 5 Jan is 55 (26 + 28 + 1); Adatum's 28 Feb is 1.

let sandbox: SalesforceSandbox;
let hub: TestHub;
let hubUrl = '';
const [ADATUM, , WOODGROVE] = OPPORTUNITIES as [(typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number], (typeof OPPORTUNITIES)[number]];
const ids = { adatum: '', woodgrove: '' };

beforeAll(async () => {
  ({ sandbox, hub, hubUrl } = await salesforceHub({ sandbox: { now: () => new Date('2026-11-30T10:00:00Z') }, settings: { onboardingTemplateField: ONBOARDING_TEMPLATE_FIELD } }));
  await saveOnboardingTemplate(hub, 'enterprise', { name: 'Enterprise', costNodes: [], invoiceFormat: 'detailed', reviewCadence: 'quarterly', justification: 'Large accounts' });
  await saveOnboardingTemplate(hub, 'trial', TRIAL_TEMPLATE);
  const { work, customersLinkedTo } = crmQuoteProbe(() => hub);
  for (const [opportunity, template] of [
    [ADATUM, 'Enterprise'],
    [WOODGROVE, 'Trial'],
  ] as const) {
    sandbox.org.updateOpportunity(opportunity.Id, { [ONBOARDING_TEMPLATE_FIELD]: template });
    await sandbox.winOpportunity(opportunity.Id, { deliverTo: hubUrl });
    await work();
  }
  ids.adatum = (await customersLinkedTo('salesforce', ADATUM.AccountId))[0]!.entity_id;
  ids.woodgrove = (await customersLinkedTo('salesforce', WOODGROVE.AccountId))[0]!.entity_id;
}, 60_000);
afterAll(async () => {
  await hub?.close();
  await sandbox?.close();
});

const due = async (day: string) => {
  const res = await hub.app.inject({ method: 'GET', url: `/v1/customer-reviews?due=${day}`, headers: hub.auth(hub.keys.auditor) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};
const record = (customerId: string, payload: object, key = hub.keys.sales_ops) =>
  hub.app.inject({ method: 'POST', url: `/v1/customers/${customerId}/reviews`, headers: hub.auth(key), payload });

describe('customer reviews', () => {
  it('lists the reviews due on or before a day, most overdue first', async () => {
    expect(await due('2026-12-29')).toEqual({ due: '2026-12-29', items: [] });
    expect((await due('2026-12-30')).items).toEqual([
      { customerId: ids.woodgrove, customerName: 'Woodgrove Bank', cadence: 'monthly', onboardedOn: '2026-11-30', lastReviewedOn: null, nextDueOn: '2026-12-30', overdue: false, daysOverdue: 0 },
    ]);
    expect((await due('2027-03-01')).items.map((i: Record<string, unknown>) => [i.customerName, i.nextDueOn, i.overdue, i.daysOverdue])).toEqual([
      ['Woodgrove Bank', '2026-12-30', true, 61],
      ['Adatum Corporation', '2027-02-28', true, 1],
    ]);
  });

  it('records a review (audited), which moves the next due date a cadence on from the review', async () => {
    const res = await record(ids.woodgrove, { reviewedOn: '2026-12-05', notes: ' Pilot going well; convert in January ' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ customerId: ids.woodgrove, reviewedOn: '2026-12-05', dueOn: '2026-12-30', cadence: 'monthly', notes: 'Pilot going well; convert in January', nextDueOn: '2027-01-05' });

    expect((await due('2026-12-30')).items).toEqual([]);
    expect((await due('2027-03-01')).items.map((i: Record<string, unknown>) => [i.customerName, i.lastReviewedOn, i.nextDueOn, i.daysOverdue])).toEqual([
      ['Woodgrove Bank', '2026-12-05', '2027-01-05', 55],
      ['Adatum Corporation', null, '2027-02-28', 1],
    ]);

    const audit = await hub.ctx.db.selectFrom('audit_log').select(['action', 'entity_id', 'before', 'after']).where('action', '=', 'customer.review').execute();
    expect(audit).toEqual([
      {
        action: 'customer.review',
        entity_id: ids.woodgrove,
        before: { lastReviewedOn: null, nextDueOn: '2026-12-30' },
        after: expect.objectContaining({ reviewedOn: '2026-12-05', answeredDueOn: '2026-12-30', nextDueOn: '2027-01-05' }),
      },
    ]);
    // The reminder follows: 5 Jan is announced from 29 Dec, and 30 Dec is not announced at all.
    expect(await checkOnboarding({ today: '2026-12-28' }, hub.ctx)).toMatchObject({ reviews: 0 });
    expect(await checkOnboarding({ today: '2026-12-29' }, hub.ctx)).toMatchObject({ reviews: 1 });
    const reminders = await hub.ctx.db.selectFrom('alerts').select('detail').where('kind', '=', 'onboarding.review_due').execute();
    expect(reminders.map((r) => (r.detail as { dueOn: string }).dueOn)).toEqual(['2027-01-05']);
  });

  it('refuses a review dated before the latest one, in the future, or for a customer without a cadence', async () => {
    const before = await record(ids.woodgrove, { reviewedOn: '2026-12-04' });
    expect(before.statusCode).toBe(400);
    expect(before.json()).toMatchObject({ field: 'reviewedOn', detail: 'reviewedOn: 2026-12-04 is before the latest review recorded, on 2026-12-05' });
    const future = await record(ids.adatum, { reviewedOn: '2999-01-01' });
    expect(future.statusCode).toBe(400);
    expect(future.json().field).toBe('reviewedOn');
    const plain = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: hub.auth(hub.keys.admin), payload: { name: 'No cadence Ltd' } });
    const none = await record(plain.json().id, { reviewedOn: '2026-12-05' });
    expect(none.statusCode).toBe(409);
    expect(none.json().detail).toContain('no review cadence');
    expect((await record(ids.adatum, { reviewedOn: '2026-12-05' }, hub.keys.auditor)).statusCode).toBe(403);
    expect(await hub.ctx.db.selectFrom('customer_reviews').select('customer_id').execute()).toEqual([{ customer_id: ids.woodgrove }]);
  });
});
