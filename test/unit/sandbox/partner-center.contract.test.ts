/**
 * Contract: the sandbox's payloads and the hub's field mapping
 * (src/mappings/partner-center/fields.ts) against Microsoft's documented facts
 * (test/fixtures/vendor/partner-center.json), which neither of them wrote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LICENSE_LINE_FIELDS, startPartnerCenterSandbox, USAGE_LINE_FIELDS, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { exportLines, getAllPages, GRAPH_RESOURCE, PC_RESOURCE, runExport, token, type ManifestJson } from './partner-center-client.ts';
import { facts } from './vendor-facts.ts';

const usageColumns = facts.usageFile.columns;
const licenseColumns = facts.licenseFile.columns;
const v2Attributes = facts.usageExportV2.attributes;

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

describe('the documented facts', () => {
  it('list the file columns and the 54 v2 export attributes', () => {
    expect(usageColumns).toHaveLength(55);
    expect(usageColumns.slice(-3)).toEqual(['BenefitOrderId', 'BenefitId', 'BenefitType']);
    expect(v2Attributes).toHaveLength(54);
    expect(licenseColumns).toContain('BillableQuantity');
  });
});

describe('field mapping (fields.ts)', () => {
  it('has one row per documented usage column, in the documented order', () => {
    expect(USAGE_LINE_FIELDS.map((f) => f.column)).toEqual(usageColumns);
  });

  it('has a row for every documented licence column', () => {
    expect(new Set(LICENSE_LINE_FIELDS.map((f) => f.column))).toEqual(new Set(licenseColumns));
  });

  it('reads the v2 export under the names Microsoft Graph documents (BenefitID, BenefitOrderID), with its basic set, and expects no PCToBCExchangeRateDate there', () => {
    const ours = USAGE_LINE_FIELDS.filter((f) => f.blob !== null).map((f) => ({ name: f.blob, basic: f.basic }));
    expect([...ours].sort((x, y) => x.name!.localeCompare(y.name!))).toEqual([...v2Attributes].sort((x, y) => x.name.localeCompare(y.name)));
  });
});

describe('daily rated usage payloads', () => {
  it('v2 export lines carry exactly the documented attributes, spelled as Graph spells them', async () => {
    for (const attributeSet of ['full', 'basic'] as const) {
      const op = await runExport(sandbox, graph, '/reports/partners/billing/usage/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet });
      const manifest = op.resourceLocation as ManifestJson;
      expect(manifest.dataFormat).toBe(facts.exportManifest.dataFormat);
      const lines = await exportLines(manifest);
      expect(lines.length).toBeGreaterThan(0);
      const documented = v2Attributes.filter((a) => attributeSet === 'full' || a.basic).map((a) => a.name);
      expect(Object.keys(lines[0] ?? {}).sort(), attributeSet).toEqual([...documented].sort());
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
    for (const chargeType of chargeTypes) expect(facts.licenseChargeTypes.values).toContain(chargeType);
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
    const topLevel = facts.customer.fields;
    const profile = facts.customer.companyProfileFields;
    for (const item of page.items as Array<Record<string, any>>) {
      for (const name of topLevel) expect(item).toHaveProperty(name);
      for (const name of profile) expect(item.companyProfile).toHaveProperty(name);
    }
  });

  it('licence subscriptions carry every field the sheet lists for billing', async () => {
    const fields = facts.subscriptionBillingFields.fields;
    let checked = 0;
    for (const customer of sandbox.portfolio.customers) {
      const res = await fetch(`${sandbox.partnerCenterUrl}/v1/customers/${customer.id}/subscriptions`, { headers: { authorization: `Bearer ${pc}` } });
      const body = (await res.json()) as { items: Array<Record<string, unknown>> };
      for (const sub of body.items.filter((s) => s.billingType === 'license')) {
        for (const f of fields) expect(sub, `${f} on ${String(sub.id)}`).toHaveProperty(f);
        expect(facts.subscriptions.statuses).toContain(sub.status);
        expect(facts.subscriptions.termDurations).toContain(sub.termDuration);
        expect(facts.subscriptions.billingCycles).toContain(sub.billingCycle);
        expect(typeof sub[facts.subscriptions.trialFlag]).toBe('boolean');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('export manifests carry every field the sheet lists', async () => {
    const fields = facts.exportManifest.fields;
    const op = await runExport(sandbox, graph, '/reports/partners/billing/usage/unbilled/export', { currencyCode: 'USD', billingPeriod: 'current', attributeSet: 'basic' });
    for (const f of fields) expect(op.resourceLocation).toHaveProperty(f);
  });
});
