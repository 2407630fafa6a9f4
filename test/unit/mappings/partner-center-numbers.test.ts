import { describe, expect, it } from 'vitest';
import { mapUsageLine } from '../../../src/mappings/partner-center/lines.ts';
import { parseDecimal } from '../../../src/mappings/partner-center/values.ts';
import { usageRecord } from '../../helpers/usage-fixtures.ts';

// Partner Center writes plain decimals in its API and exports, and en-US figures
// (1,234.56) in the portal's CSV downloads. A comma anywhere else is not Microsoft's:
// read as a thousands separator, 0,92 would become 92, a hundredfold exchange rate.
describe('parseDecimal', () => {
  it.each([
    ['1234.56', '1234.56'],
    ['1,234.56', '1234.56'],
    ['1,234,567', '1234567'],
    ['-12,345.6789', '-12345.6789'],
    ['0.92', '0.92'],
    ['1E-05', '1E-05'],
    [' 16 ', '16'],
  ])('reads %j as %j', (raw, value) => {
    expect(parseDecimal(raw)).toEqual({ ok: true, value });
  });

  it.each(['0,92', '1.234,56', '12,34', '1,23,456.00', '1,234,56', ',5', '1,234.5,6', '1 234.56', ''])('refuses %j', (raw) => {
    expect(parseDecimal(raw)).toEqual({ ok: false, reason: `is not a number: ${JSON.stringify(raw)}` });
  });
});

describe('a usage line with a number in a foreign format', () => {
  it.each([
    ['PCToBCExchangeRate', '0,92'],
    ['Quantity', '1.234,56'],
    ['UnitPrice', '12,34'],
  ])('is rejected naming %s', (field, raw) => {
    const mapped = mapUsageLine(usageRecord({ [field]: raw }));
    expect(mapped).toEqual({ ok: false, errors: [{ field, reason: `is not a number: ${JSON.stringify(raw)}` }] });
  });

  it('is accepted with en-US grouping, at its full value', () => {
    const mapped = mapUsageLine(usageRecord({ Quantity: '1,234.56' }));
    if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
    expect(mapped.row.quantity).toBe('1234.56');
  });
});
