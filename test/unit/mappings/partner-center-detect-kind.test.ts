import { describe, expect, it } from 'vitest';
import { detectKind, HeaderError } from '../../../src/mappings/partner-center/detect-kind.ts';
import { LICENSE_LINE_FIELDS, USAGE_LINE_FIELDS } from '../../../src/mappings/partner-center/fields.ts';

describe('detectKind', () => {
  it('tells the daily rated usage file from the licence reconciliation file by their columns', () => {
    expect(detectKind(USAGE_LINE_FIELDS.map((f) => f.column))).toEqual({ kind: 'usage', percentAsFraction: false });
    expect(detectKind(LICENSE_LINE_FIELDS.map((f) => f.column))).toEqual({ kind: 'license', percentAsFraction: false });
  });

  it("matches any of Microsoft's spellings in any case, and notices the v1 API's fraction percentages", () => {
    expect(detectKind(USAGE_LINE_FIELDS.map((f) => f.column.toLowerCase()))).toMatchObject({ kind: 'usage', percentAsFraction: false });
    expect(detectKind(USAGE_LINE_FIELDS.map((f) => f.api))).toEqual({ kind: 'usage', percentAsFraction: true });
  });

  it('names the missing columns of both kinds for an unknown header', () => {
    try {
      detectKind(['CustomerId', 'UsageDate', 'Quantity', 'Amount']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HeaderError);
      const e = err as HeaderError;
      expect(e.field).toBe('header');
      expect(e.missingColumns.usage).toEqual(['MeterId', 'EntitlementId', 'BillingPreTaxTotal', 'BillingCurrency']);
      expect(e.missingColumns.license).toContain('BillableQuantity');
      expect(e.message).toContain('MeterId, EntitlementId, BillingPreTaxTotal, BillingCurrency');
    }
  });

  it('refuses an empty header', () => {
    expect(() => detectKind([])).toThrow(/no header row/);
  });
});
