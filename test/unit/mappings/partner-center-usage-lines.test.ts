import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mapUsageLine, mapUsageValues, USAGE_COLUMNS } from '../../../src/mappings/partner-center/lines.ts';
import { usageRecord } from '../../helpers/usage-fixtures.ts';

// mapUsageValues remembers the previous line to skip repeated work: whatever order lines
// come in, each must map as if it were the only one, and its key must never change (it
// is what an ingestion matches stored lines by).

/** The natural key as the hub has always computed it: sha256 of the parts joined by U+001F. */
function expectedKey(row: Record<string, string | null>): string {
  const parts = [
    row.customer_tenant_id, row.entitlement_id, row.subscription_id, row.product_id, row.sku_id, row.availability_id, row.meter_id,
    row.resource_uri?.toLowerCase(), row.usage_date, row.charge_type, row.unit_type, row.benefit_order_id, row.benefit_id, row.additional_info,
  ];
  return hash('sha256', parts.map((p) => p ?? '').join('\u001f'), 'base64url').slice(0, 32);
}

const records = [
  usageRecord(),
  usageRecord({ UsageDate: '10/4/2026 0:00', Quantity: '23.5' }),
  usageRecord({ UsageDate: '10/4/2026 0:00', ResourceURI: '/subscriptions/ent-1/resourceGroups/RG-WEB/providers/Microsoft.Compute/virtualMachines/WEB02', Tags: '' }),
  usageRecord({ AdditionalInfo: '{"ServiceType":"Standard_D2_v3","ImageType":"Canonical"}', Tags: '{"project":"web"}' }),
  usageRecord({ CustomerId: 'B1B2C3D4-0000-4000-8000-000000000002', BenefitOrderId: 'bo-1', AdditionalInfo: '' }),
  usageRecord(),
];

describe('mapUsageLine and mapUsageValues', () => {
  it('map each line as if it were alone, whatever came before', () => {
    const alone = records.map((r) => {
      // A different line first, so nothing of this one is remembered.
      mapUsageLine(usageRecord({ UsageDate: '1/1/2020 0:00', CustomerId: 'C0000000-0000-4000-8000-000000000000', Tags: '{"x":"y"}' }));
      return mapUsageLine(r);
    });
    const inTurn = records.map((r) => mapUsageLine(r));
    expect(inTurn).toEqual(alone);
    for (const [i, mapped] of inTurn.entries()) {
      if (!mapped.ok) throw new Error(`line ${i} did not map`);
      expect(mapped.row.line_key).toBe(expectedKey(mapped.row));
    }
  });

  it('give the same columns, key and tags either way', () => {
    for (const record of records) {
      const line = mapUsageLine(record);
      const values = mapUsageValues(record);
      if (!line.ok || !values.ok) throw new Error('did not map');
      expect(Object.fromEntries(USAGE_COLUMNS.map((c, j) => [c, values.values[j]]))).toEqual(Object.fromEntries(USAGE_COLUMNS.map((c) => [c, line.row[c]])));
      expect(values.lineKey).toBe(line.row.line_key);
      expect(values.tags).toEqual(line.tags);
    }
  });

  it('normalise the day, the tenant and AdditionalInfo, and key on the normalised values', () => {
    const a = mapUsageLine(usageRecord({ AdditionalInfo: '{"ImageType":"Canonical","ServiceType":"Standard_D2_v3"}' }));
    const b = mapUsageLine(usageRecord({ CustomerId: 'a1b2c3d4-0000-4000-8000-000000000001', AdditionalInfo: '{"ServiceType":"Standard_D2_v3","ImageType":"Canonical"}' }));
    if (!a.ok || !b.ok) throw new Error('did not map');
    expect(a.row.usage_date).toBe('2026-10-03');
    expect(a.row.customer_tenant_id).toBe('a1b2c3d4-0000-4000-8000-000000000001');
    expect(b.row.line_key).toBe(a.row.line_key);
  });

  it('hand back copies of the tags a caller may change', () => {
    const first = mapUsageLine(records[0]!);
    if (!first.ok) throw new Error('did not map');
    first.tags.costCenter = 'changed';
    const again = mapUsageLine(records[0]!);
    expect(again.ok && again.tags).toEqual({ costCenter: 'CC-100', project: 'web' });
  });

  it('refuse a line with bad tags or a missing required field, with every reason', () => {
    const mapped = mapUsageLine(usageRecord({ Tags: '[1,2]', Quantity: '' }));
    expect(mapped.ok).toBe(false);
    expect(!mapped.ok && mapped.errors).toEqual([
      { field: 'Quantity', reason: 'is required' },
      { field: 'Tags', reason: 'is not a JSON object of tags' },
    ]);
  });
});
