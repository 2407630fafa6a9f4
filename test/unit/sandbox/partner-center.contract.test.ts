/**
 * Contract: the sandbox's payloads carry every field the vendor fact sheet
 * (../shared/vendor/partner-center.md) documents, under the names the mapping
 * in src/mappings/partner-center/fields.ts gives them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LICENSE_LINE_FIELDS, startPartnerCenterSandbox, USAGE_LINE_FIELDS, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { exportLines, getAllPages, GRAPH_RESOURCE, PC_RESOURCE, runExport, token, type ManifestJson } from './partner-center-client.ts';
import { backtickedNames, bullet, columnList, section, vendorDoc } from './vendor-docs.ts';

const doc = vendorDoc('partner-center.md');
const usageColumns = columnList(section(doc, 'Daily rated usage line'), 'in this order:');
const licenseColumns = columnList(section(doc, 'License (seat) reconciliation line'), 'Columns include:');
const hierarchy = section(doc, 'Hierarchy and calls');

let sandbox: PartnerCenterSandbox;
let pc: string;
let graph: string;

beforeAll(async () => {
  sandbox = await startPartnerCenterSandbox({
    seed: 77,
    customers: 8,
    subscriptionsPerCustomer: 5,
    resourcesPerSubscription: 5,
    period: '2026-08',
    days: 61,
    seatChangeShare: 0.5,
    now: new Date('2026-09-20T12:00:00Z'),
  });
  pc = await token(sandbox, PC_RESOURCE);
  graph = await token(sandbox, GRAPH_RESOURCE);
});
afterAll(() => sandbox.close());

describe('the fact sheet parses', () => {
  it('into the documented column lists', () => {
    expect(usageColumns).toHaveLength(55);
    expect(usageColumns.slice(0, 3)).toEqual(['PartnerId', 'PartnerName', 'CustomerId']);
    expect(usageColumns.slice(-3)).toEqual(['BenefitOrderId', 'BenefitId', 'BenefitType']);
    expect(licenseColumns).toContain('BillableQuantity');
    expect(licenseColumns.at(-1)).toBe('ProductCategory');
  });
});

describe('field mapping (fields.ts)', () => {
  it('has one row per documented usage column, in the documented order', () => {
    expect(USAGE_LINE_FIELDS.map((f) => f.column)).toEqual(usageColumns);
  });

  it('has a row for every documented licence column', () => {
    expect(new Set(LICENSE_LINE_FIELDS.map((f) => f.column))).toEqual(new Set(licenseColumns));
  });
});

describe('daily rated usage payloads', () => {
  it('v2 export lines carry every documented column', async () => {
    const op = await runExport(sandbox, graph, '/reports/partners/billing/usage/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'full' });
    const lines = await exportLines(op.resourceLocation as ManifestJson);
    expect(lines.length).toBeGreaterThan(0);
    const keys = new Set(Object.keys(lines[0] ?? {}));
    for (const column of usageColumns) {
      const mapping = USAGE_LINE_FIELDS.find((f) => f.column === column);
      expect(mapping, column).toBeDefined();
      expect(keys.has(mapping?.blob ?? ''), `blob key for ${column}`).toBe(true);
    }
  });

  it('v1 usagelineitems carry every documented column under its API name', async () => {
    const { items } = await getAllPages<Record<string, unknown>>(
      sandbox,
      pc,
      `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=usagelineitems&currencycode=USD&period=current&size=200`,
    );
    expect(items.length).toBeGreaterThan(0);
    for (const column of usageColumns) {
      const mapping = USAGE_LINE_FIELDS.find((f) => f.column === column);
      expect(items[0], `api name for ${column}`).toHaveProperty(mapping?.api ?? column);
    }
  });
});

describe('licence reconciliation payloads', () => {
  it('v1 billinglineitems carry every documented column under its API name', async () => {
    const { items } = await getAllPages<Record<string, unknown>>(
      sandbox,
      pc,
      `${sandbox.partnerCenterUrl}/v1/invoices/unbilled/lineitems?provider=onetime&invoicelineitemtype=billinglineitems&currencycode=USD&period=current&size=2000`,
    );
    expect(items.length).toBeGreaterThan(0);
    for (const column of licenseColumns) {
      const mapping = LICENSE_LINE_FIELDS.find((f) => f.column === column);
      expect(items[0], `api name for ${column}`).toHaveProperty(mapping?.api ?? column);
    }
    const chargeTypes = new Set(items.map((i) => i.chargeType));
    for (const documented of ['cycleCharge', 'addQuantity']) expect(chargeTypes).toContain(documented);
  });

  it('v2 reconciliation export lines carry every documented column', async () => {
    const op = await runExport(sandbox, graph, '/reports/partners/billing/reconciliation/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'full' });
    const lines = await exportLines(op.resourceLocation as ManifestJson);
    for (const column of licenseColumns) expect(lines[0], column).toHaveProperty(LICENSE_LINE_FIELDS.find((f) => f.column === column)?.blob ?? column);
  });
});

describe('resources', () => {
  it('customer pages carry the documented envelope and customer fields', async () => {
    const res = await fetch(`${sandbox.partnerCenterUrl}/v1/customers?size=3`, { headers: { authorization: `Bearer ${pc}` } });
    const page = (await res.json()) as Record<string, any>;
    expect(Object.keys(page)).toEqual(expect.arrayContaining(['totalCount', 'items', 'links']));
    expect(page.links.next).toMatchObject({ uri: expect.any(String), method: 'GET', headers: [{ key: 'MS-ContinuationToken', value: expect.any(String) }] });
    const customerBullet = bullet(hierarchy, 'A customer item carries');
    const topLevel = backtickedNames(customerBullet, 'A customer item carries');
    expect(topLevel).toEqual(['id', 'companyProfile', 'relationshipToPartner']);
    const profile = [...(/`companyProfile` \(([^)]*)\)/.exec(customerBullet)?.[1] ?? '').matchAll(/`(\w+)`/g)].map((m) => m[1] as string);
    for (const item of page.items as Array<Record<string, any>>) {
      for (const name of topLevel) expect(item).toHaveProperty(name);
      for (const name of profile) expect(item.companyProfile).toHaveProperty(name);
    }
  });

  it('licence subscriptions carry every field the sheet lists for billing', async () => {
    const fields = backtickedNames(bullet(hierarchy, 'Fields used for billing'), 'Fields used for billing:');
    expect(fields).toContain('refundOptions');
    let checked = 0;
    for (const customer of sandbox.portfolio.customers) {
      const res = await fetch(`${sandbox.partnerCenterUrl}/v1/customers/${customer.id}/subscriptions`, { headers: { authorization: `Bearer ${pc}` } });
      const body = (await res.json()) as { items: Array<Record<string, unknown>> };
      for (const sub of body.items.filter((s) => s.billingType === 'license')) {
        for (const f of fields) expect(sub, `${f} on ${String(sub.id)}`).toHaveProperty(f);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('export manifests carry every field the sheet lists', async () => {
    const fields = backtickedNames(bullet(section(doc, 'Hierarchy and calls'), 'The manifest carries'), 'The manifest carries');
    expect(fields).toHaveLength(9);
    const op = await runExport(sandbox, graph, '/reports/partners/billing/usage/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'basic' });
    for (const f of fields) expect(op.resourceLocation).toHaveProperty(f);
  });
});
