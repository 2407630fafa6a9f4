import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartnerCenterSandbox, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { getAllPages, PC_RESOURCE, token } from './partner-center-client.ts';

let sandbox: PartnerCenterSandbox;
let accessToken: string;

beforeAll(async () => {
  sandbox = await startPartnerCenterSandbox({ seed: 3, customers: 23, subscriptionsPerCustomer: 5, now: new Date('2026-09-20T12:00:00Z'), period: '2026-09' });
  accessToken = await token(sandbox, PC_RESOURCE);
});
afterAll(() => sandbox.close());

const get = (path: string) => fetch(`${sandbox.partnerCenterUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('customers', () => {
  it('pages with MS-ContinuationToken and lists every customer exactly once', async () => {
    const { items, pages } = await getAllPages<{ id: string; companyProfile: { tenantId: string; domain: string; companyName: string }; relationshipToPartner: string }>(
      sandbox,
      accessToken,
      `${sandbox.partnerCenterUrl}/v1/customers?size=5`,
    );
    expect(pages).toBe(5);
    expect(items.map((c) => c.id)).toEqual(sandbox.portfolio.customers.map((c) => c.id));
    expect(new Set(items.map((c) => c.id)).size).toBe(23);
    for (const c of items) {
      expect(c.companyProfile.tenantId).toBe(c.id);
      expect(c.companyProfile.domain).toMatch(/\.onmicrosoft\.com$/);
      expect(c.relationshipToPartner).toBe('reseller');
    }
  });

  it('refuses a next page without its continuation token', async () => {
    const res = await get('/v1/customers?size=5&seekOperation=Next');
    expect(res.status).toBe(400);
  });

  it('lists licence subscriptions and the Azure plan with the billing fields', async () => {
    const customer = sandbox.portfolio.customers[0];
    if (!customer) throw new Error('no customer');
    const res = await get(`/v1/customers/${customer.id}/subscriptions`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<Record<string, unknown>> };
    const licences = body.items.filter((s) => s.billingType === 'license');
    const usage = body.items.filter((s) => s.billingType === 'usage');
    expect(licences.length).toBeGreaterThan(0);
    expect(usage).toHaveLength(1);
    expect(usage[0]?.offerName).toBe('Azure plan');
    for (const s of licences) {
      expect(['P1M', 'P1Y', 'P3Y']).toContain(s.termDuration);
      expect(['monthly', 'annual']).toContain(s.billingCycle);
      expect(s.offerId).toMatch(/^[A-Z0-9]{12}:[0-9]{4}:[A-Z0-9]{12}$/);
      expect(Array.isArray(s.refundOptions)).toBe(true);
    }
    const entitlements = await get(`/v1/customers/${customer.id}/subscriptions/${String(usage[0]?.id)}/azureEntitlements`);
    expect(((await entitlements.json()) as { items: unknown[] }).items).toHaveLength(customer.azurePlan?.entitlements.length ?? -1);
  });
});

describe('consent (GDAP)', () => {
  it('answers 403 on customer-scoped calls while consent is revoked, and serves again once restored', async () => {
    const customer = sandbox.portfolio.customers[2];
    if (!customer) throw new Error('no customer');
    sandbox.revokeConsent(customer.id);
    for (const path of [`/v1/customers/${customer.id}`, `/v1/customers/${customer.id}/subscriptions`]) {
      const res = await get(path);
      expect(res.status).toBe(403);
      expect(((await res.json()) as Record<string, unknown>).code).toBe('2032');
    }
    // The partner-level list still shows the customer: the relationship, not the customer, lapsed.
    const list = (await (await get('/v1/customers?size=100')).json()) as { items: Array<{ id: string }> };
    expect(list.items.map((c) => c.id)).toContain(customer.id);
    expect(sandbox.stats().forbidden).toBe(2);

    const control = await fetch(`${sandbox.url}/_sandbox/consent/${customer.id}/restore`, { method: 'POST' });
    expect(control.status).toBe(200);
    expect((await get(`/v1/customers/${customer.id}/subscriptions`)).status).toBe(200);
  });
});
