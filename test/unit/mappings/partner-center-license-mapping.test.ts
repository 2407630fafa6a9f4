import { describe, expect, it } from 'vitest';
import { versionedMapping } from '../../../src/mappings/checked.ts';
import type { MappingRule } from '../../../src/mappings/engine/types.ts';
import { mappingObject } from '../../../src/mappings/objects.ts';
import { compileLicenseMapping } from '../../../src/mappings/partner-center/license-compiled.ts';
import { mapLicenseLine } from '../../../src/mappings/partner-center/lines.ts';
import { licenseRecord } from '../../helpers/license-fixtures.ts';

// A licence line mapping is compiled once per sync job into the rules that differ from
// the connector's own reading: the default compiles to nothing; a changed rule rewrites
// what the line says (product, SKU, descriptions) after its natural key is made.

const OBJECT = mappingObject('partner-center', 'license_line')!;
const compiled = (version: number, rules: readonly MappingRule[]) => compileLicenseMapping(versionedMapping(OBJECT, version, rules));
const replacing = (rule: MappingRule) => OBJECT.defaultRules.map((r) => (r.target === rule.target ? rule : r));
const mapped = (record: Record<string, unknown>, licenseMapping: ReturnType<typeof compiled>) => {
  const line = mapLicenseLine(record, { licenseMapping });
  if (!line.ok) throw new Error(JSON.stringify(line.errors));
  return line.row;
};

describe('the Partner Center licence line mapping, compiled', () => {
  it('compiles the built-in mapping to nothing: no work per line', () => {
    expect(compiled(0, OBJECT.defaultRules)).toBeNull();
  });

  it('names the SKU from a template of two columns, keeping the natural key and the amounts', () => {
    const licenseMapping = compiled(1, replacing({ id: 'sku-name', target: 'license.skuName', transform: { type: 'template', template: '{SkuName} ({BillingFrequency})' } }));
    const plain = mapped(licenseRecord(), null);
    const row = mapped(licenseRecord(), licenseMapping);
    expect(row.sku_name).toBe('Microsoft 365 Business Standard (Monthly)');
    expect(plain.sku_name).toBe('Microsoft 365 Business Standard');
    expect({ ...row, sku_name: plain.sku_name }).toEqual(plain);
  });

  it('fills the charge description from the price adjustment, and empties a built-in field no rule writes any more', () => {
    const rules = [
      ...OBJECT.defaultRules.filter((r) => r.target !== 'license.publisherName' && r.target !== 'license.chargeDescription'),
      { id: 'charge', target: 'license.chargeDescription', transform: { type: 'expression', expression: 'coalesce(MeterDescription, ChargeType)' } } as MappingRule,
    ];
    const row = mapped(licenseRecord(), compiled(2, rules));
    expect(row.meter_description).toBe('addQuantity');
    expect(row.publisher_name).toBeNull();
    expect(row.product_name).toBe('Microsoft 365 Business Standard');
  });

  it('refuses a line a changed rule cannot map, naming the version and the rule', () => {
    const licenseMapping = compiled(3, replacing({ id: 'product-category', source: 'ProductCategory', target: 'license.productCategory', transform: { type: 'lookup', table: { Azure: 'Azure' } } }));
    expect(mapLicenseLine(licenseRecord(), { licenseMapping })).toEqual({
      ok: false,
      errors: [{ field: 'license.productCategory', reason: expect.stringMatching(/^licence line mapping v3 rule product-category: "OnlineServices" is not in the lookup table/) }],
    });
  });

  it('has no target for the line identity, dates, quantities or amounts', () => {
    const targets = Object.keys(OBJECT.target.fields);
    for (const forbidden of ['Subtotal', 'Quantity', 'BillableQuantity', 'UnitPrice', 'ChargeStartDate', 'SubscriptionId', 'SkuId']) {
      expect(targets.some((t) => t.toLowerCase().endsWith(forbidden.toLowerCase()))).toBe(false);
    }
  });
});
