import { describe, expect, it } from 'vitest';
import { CHARGE_CATEGORIES, DEFAULT_CATEGORY_MAPPING, categorize } from '../../../src/engine/categories.ts';
import type { CategoryMapping } from '../../../src/engine/types.ts';
import { METERS } from '../../../src/sandbox/partner-center/catalog.ts';
import { licenseLine, usageLine } from './fixtures.ts';

describe('charge categories', () => {
  it('are the eight the rate card and invoice summary use', () => {
    expect(CHARGE_CATEGORIES).toEqual(['compute', 'storage', 'networking', 'databases', 'licenses', 'marketplace', 'support', 'other']);
  });
});

describe('categorize with the default mapping', () => {
  it.each([
    ['Virtual Machines', 'compute'],
    ['virtual machines', 'compute'], // case-insensitive
    ['Storage', 'storage'],
    ['Bandwidth', 'networking'],
    ['Virtual Network', 'networking'],
    ['Load Balancer', 'networking'],
    ['SQL Database', 'databases'],
    ['Azure Cosmos DB', 'databases'],
  ] as const)('meter category %s → %s', (meterCategory, category) => {
    const result = categorize(usageLine({ meterCategory }), DEFAULT_CATEGORY_MAPPING);
    expect(result).toEqual({
      category,
      mapped: true,
      matchedBy: 'meterCategory',
      matchedKey: meterCategory.toLowerCase(),
      mappingId: 'default',
      mappingVersion: 1,
    });
  });

  it("claims every meter category the sandbox's Azure estate bills (the demo's lines are all mapped)", () => {
    const unmapped = METERS.filter((m) => !categorize(usageLine({ meterCategory: m.meterCategory, publisherName: 'Microsoft' }), DEFAULT_CATEGORY_MAPPING).mapped);
    expect(unmapped.map((m) => m.meterCategory)).toEqual([]);
  });

  it('puts a Microsoft licence line in licenses', () => {
    const result = categorize(licenseLine(), DEFAULT_CATEGORY_MAPPING);
    expect(result).toMatchObject({ category: 'licenses', mapped: true, matchedBy: 'lineKind' });
  });

  it('puts a third-party publisher line in marketplace', () => {
    const saas = licenseLine({ publisherName: 'Contoso Software Ltd', productName: 'Contoso Backup SaaS' });
    expect(categorize(saas, DEFAULT_CATEGORY_MAPPING)).toMatchObject({ category: 'marketplace', matchedBy: 'publisher', matchedKey: 'contoso software ltd' });
    const usage = usageLine({ publisherName: 'Fabrikam ISV', meterCategory: 'Fabrikam Firewall Appliance' });
    expect(categorize(usage, DEFAULT_CATEGORY_MAPPING)).toMatchObject({ category: 'marketplace', matchedBy: 'publisher' });
  });

  it('treats a blank publisher as Microsoft', () => {
    const result = categorize(licenseLine({ publisherName: '' }), DEFAULT_CATEGORY_MAPPING);
    expect(result).toMatchObject({ category: 'licenses', matchedBy: 'lineKind' });
  });

  it('sends an unknown meter category to other, unmapped, so the close can count it', () => {
    const result = categorize(usageLine({ meterCategory: 'Quantum Widgets', publisherName: null }), DEFAULT_CATEGORY_MAPPING);
    expect(result).toEqual({ category: 'other', mapped: false, matchedBy: null, matchedKey: null, mappingId: 'default', mappingVersion: 1 });
  });

  it('lets a Microsoft meter category win over the third-party default (precedence: meterCategory before defaults)', () => {
    const result = categorize(usageLine({ publisherName: 'Fabrikam ISV', meterCategory: 'Virtual Machines' }), DEFAULT_CATEGORY_MAPPING);
    expect(result).toMatchObject({ category: 'compute', matchedBy: 'meterCategory' });
  });
});

describe('categorize precedence: sku > product > meterCategory > default', () => {
  const mapping: CategoryMapping = {
    id: 'msp-acme',
    version: 7,
    sku: { 'DZH318Z0BQPS:00TF': 'support' },
    product: { DZH318Z0BQPS: 'storage', 'Azure Monitor': 'support' },
    meterCategory: { 'Virtual Machines': 'networking' },
    defaults: { thirdPartyPublisher: 'marketplace', licenseLines: 'licenses', microsoftPublishers: ['Microsoft'] },
  };

  it('uses the SKU entry first', () => {
    expect(categorize(usageLine(), mapping)).toMatchObject({ category: 'support', matchedBy: 'sku', matchedKey: 'dzh318z0bqps:00tf', mappingId: 'msp-acme', mappingVersion: 7 });
  });

  it('then the product entry (by ProductId)', () => {
    expect(categorize(usageLine({ skuId: '00XX' }), mapping)).toMatchObject({ category: 'storage', matchedBy: 'product', matchedKey: 'dzh318z0bqps' });
  });

  it('then the product entry (by ProductName)', () => {
    const line = usageLine({ productId: 'OTHER', productName: 'azure monitor' });
    expect(categorize(line, mapping)).toMatchObject({ category: 'support', matchedBy: 'product', matchedKey: 'azure monitor' });
  });

  it('then the meter category', () => {
    expect(categorize(usageLine({ productId: 'OTHER', productName: null }), mapping)).toMatchObject({ category: 'networking', matchedBy: 'meterCategory' });
  });

  it('then the defaults', () => {
    const line = usageLine({ productId: 'OTHER', productName: null, meterCategory: 'Storage' });
    expect(categorize(line, mapping)).toMatchObject({ category: 'other', mapped: false });
    const seat = licenseLine({ publisherName: 'Microsoft' }); // this mapping lists only 'Microsoft' as Microsoft
    expect(categorize(seat, mapping)).toMatchObject({ category: 'licenses', matchedBy: 'lineKind' });
  });

  it('does not match a SkuId on its own (SkuIds repeat across products)', () => {
    const line = usageLine({ productId: 'ANOTHER', skuId: '00TF', productName: null, meterCategory: null });
    expect(categorize(line, mapping).mapped).toBe(false);
  });
});
