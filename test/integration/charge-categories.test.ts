import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCategoryMapping } from '../../src/db/charge-categories.ts';
import { DEFAULT_CATEGORY_MAPPING, categorize } from '../../src/engine/categories.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import type { UsageLine } from '../../src/engine/types.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const put = (payload: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method: 'PUT', url: '/v1/charge-categories/mappings', payload: payload as object, headers: hub.auth(key) });
const get = (key = hub.keys.auditor) => hub.app.inject({ method: 'GET', url: '/v1/charge-categories/mappings', headers: hub.auth(key) });

const line = (overrides: Partial<UsageLine>): UsageLine => ({
  kind: 'usage', id: 'u1', customerId: 'c1', subscriptionId: 's1', resourceGroup: null, meterId: 'm1', meterCategory: 'Virtual Machines', meterName: null,
  productId: 'DZH318Z0BQPS', skuId: '00TF', productName: 'Virtual Machines Dv3 Series', skuName: null, publisherName: 'Microsoft', date: '2026-11-20',
  quantity: new Decimal(1), unitPrice: new Decimal(1), effectiveUnitPrice: new Decimal(1), pricingCurrency: 'USD', billingCurrency: 'USD',
  pcToBCExchangeRate: new Decimal(1), pcToBCExchangeRateDate: '2026-11-01', cost: new Decimal(1), tags: {},
  ...overrides,
});

describe('charge category mappings', () => {
  it("starts from exactly the engine's default mapping", async () => {
    const mapping = await loadCategoryMapping(hub.ctx.db);
    expect(mapping).toMatchObject({ id: 'hub', version: 1, sku: {}, product: {} });
    expect(mapping.meterCategory).toEqual(DEFAULT_CATEGORY_MAPPING.meterCategory);
    expect(mapping.defaults).toEqual(DEFAULT_CATEGORY_MAPPING.defaults);
    const res = await get(hub.keys.sales_ops);
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(1);
    expect(res.json().items).toContainEqual(expect.objectContaining({ kind: 'meterCategory', value: 'Virtual Machines', category: 'compute' }));
    expect(res.json().items).toContainEqual(expect.objectContaining({ kind: 'publisher', value: '*', category: 'marketplace' }));
  });

  it('sets and removes entries as a new mapping version, audited, and the engine categorises with it', async () => {
    const res = await put({
      mappings: [
        { kind: 'sku', value: 'DZH318Z0BQPS:00TF', category: 'support' },
        { kind: 'meterCategory', value: 'virtual machines', category: 'other' },
        { kind: 'product', value: 'Microsoft Defender for Cloud', category: 'support' },
      ],
      justification: 'Managed VM SKU is sold as support',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(2);
    // The meter category entry was updated in place (values compare case-insensitively), not duplicated.
    const vm = res.json().items.filter((i: { kind: string; value: string }) => i.kind === 'meterCategory' && i.value.toLowerCase() === 'virtual machines');
    expect(vm).toMatchObject([{ value: 'virtual machines', category: 'other' }]);

    const mapping = await loadCategoryMapping(hub.ctx.db);
    expect(mapping.version).toBe(2);
    expect(categorize(line({}), mapping)).toMatchObject({ category: 'support', matchedBy: 'sku', mappingId: 'hub', mappingVersion: 2 });
    expect(categorize(line({ skuId: 'OTHER' }), mapping)).toMatchObject({ category: 'other', matchedBy: 'meterCategory' });

    const removed = await put({ mappings: [{ kind: 'sku', value: 'dzh318z0bqps:00tf', category: null }] }, hub.keys.admin);
    expect(removed.statusCode).toBe(200);
    expect(removed.json().version).toBe(3);
    expect(removed.json().items.some((i: { kind: string }) => i.kind === 'sku')).toBe(false);

    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'charge_category_mapping.update').orderBy('seq').execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ entity: 'charge_category_mapping', entity_id: '2', justification: 'Managed VM SKU is sold as support' });
    expect((audit[0]!.before as { version: number }).version).toBe(1);
    expect((audit[0]!.after as { items: { kind: string }[] }).items.filter((i) => i.kind === 'sku')).toHaveLength(1);
  });

  it('replaces the whole mapping when asked', async () => {
    const res = await put({ replace: true, mappings: [{ kind: 'meterCategory', value: 'Storage', category: 'storage' }, { kind: 'publisher', value: '*', category: 'other' }] });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`)).toEqual(['meterCategory:Storage', 'publisher:*']);
    const mapping = await loadCategoryMapping(hub.ctx.db);
    expect(mapping.meterCategory).toEqual({ Storage: 'storage' });
    expect(mapping.defaults.thirdPartyPublisher).toBe('other');
    expect(categorize(line({ meterCategory: 'Virtual Machines', publisherName: 'Contoso Software' }), mapping)).toMatchObject({ category: 'other', matchedBy: 'publisher' });
  });

  it('answers bad entries with 400 naming the field and changes nothing', async () => {
    const before = (await get()).json();
    const cases: [unknown, string, RegExp][] = [
      [{ mappings: [{ kind: 'sku', value: 'no-colon', category: 'compute' }] }, 'mappings.0.value', /ProductId:SkuId/],
      [{ mappings: [{ kind: 'publisher', value: 'Acronis', category: 'support' }] }, 'mappings.0.value', /non-Microsoft/],
      [{ mappings: [{ kind: 'meterCategory', value: 'Storage', category: 'food' }] }, 'mappings.0.category', /one of|must be/],
      [{ mappings: [{ kind: 'vendor', value: 'x', category: 'other' }] }, 'mappings.0.kind', /one of/],
      [{ mappings: [{ kind: 'product', value: 'A', category: 'other' }, { kind: 'product', value: 'a', category: 'support' }] }, 'mappings.1.value', /repeats mappings.0/],
      [{ replace: true, mappings: [{ kind: 'product', value: 'A', category: null }] }, 'mappings.0.category', /replace/],
      [{ mappings: [{ kind: 'product', value: 'Never mapped', category: null }] }, 'mappings.0.value', /no product entry/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await put(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const problem = res.json();
      expect(problem.field, JSON.stringify(problem)).toBe(field);
      expect(problem.errors.find((e: { field: string }) => e.field === field).reason).toMatch(reason);
    }
    expect((await get()).json()).toEqual(before);
    expect((await put({ mappings: [] }, hub.keys.sales_ops)).statusCode).toBe(403);
  });
});
