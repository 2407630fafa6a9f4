import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMapping, checkMapping, invertRule, type MappingRule, type RecordSchema } from '../../../src/mappings/engine/index.ts';

// Property: where a rule declares itself invertible, mapping a record and mapping the
// result back with the inverse returns the input.

const a: RecordSchema = {
  name: 'side a',
  fields: {
    'a.text': { type: 'string' },
    'a.percent': { type: 'decimal' },
    'a.gib': { type: 'decimal' },
    'a.at': { type: 'datetime' },
    'a.code': { type: 'string', enum: ['P1M', 'P1Y', 'P3Y'] },
  },
};
const b: RecordSchema = {
  name: 'side b',
  fields: {
    'b.text': { type: 'string' },
    'b.ratio': { type: 'decimal' },
    'b.mib': { type: 'decimal' },
    'b.ms': { type: 'integer' },
    'b.term': { type: 'string', enum: ['monthly', 'annual', 'triennial'] },
  },
};

function roundTrip(rule: MappingRule, record: unknown): unknown {
  const forward = checkMapping({ rules: [rule] }, a, b);
  expect(forward.problems).toEqual([]);
  const inverse = invertRule(rule);
  if ('reason' in inverse) throw new Error(inverse.reason);
  const backward = checkMapping({ rules: [inverse] }, b, a);
  expect(backward.problems).toEqual([]);
  const there = applyMapping(forward.checked!, a, b, record);
  expect(there.problems).toEqual([]);
  const back = applyMapping(backward.checked!, b, a, there.output);
  expect(back.problems).toEqual([]);
  return back.output;
}

const decimalText = fc
  .tuple(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.integer({ min: 0, max: 8 }))
  .map(([units, scale]) => {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
    const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    return (negative ? '-' : '') + text;
  });
/** The canonical decimal string of a text number, computed without the engine's Decimal. */
const canonicalDecimal = (text: string) => {
  const negative = text.startsWith('-');
  let [whole, fraction = ''] = text.replace('-', '').split('.');
  whole = whole!.replace(/^0+(?=\d)/, '');
  fraction = fraction.replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && body !== '0' ? `-${body}` : body;
};

describe('inverse round trips', () => {
  it('copy', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(roundTrip({ id: 'r', source: 'a.text', target: 'b.text', transform: { type: 'copy' } }, { a: { text } })).toEqual({ a: { text } });
      }),
    );
  });

  it('unit conversions (percent ⇄ ratio, GiB ⇄ MiB) on any decimal', () => {
    fc.assert(
      fc.property(decimalText, (value) => {
        expect(roundTrip({ id: 'r', source: 'a.percent', target: 'b.ratio', transform: { type: 'unit', from: 'percent', to: 'ratio' } }, { a: { percent: value } })).toEqual({ a: { percent: canonicalDecimal(value) } });
        expect(roundTrip({ id: 'r', source: 'a.gib', target: 'b.mib', transform: { type: 'unit', from: 'gib', to: 'mib' } }, { a: { gib: value } })).toEqual({ a: { gib: canonicalDecimal(value) } });
      }),
    );
  });

  it('datetime ⇄ epoch milliseconds', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true }), (at) => {
        expect(roundTrip({ id: 'r', source: 'a.at', target: 'b.ms', transform: { type: 'datetime', to: 'epoch_ms' } }, { a: { at: at.toISOString() } })).toEqual({ a: { at: at.toISOString() } });
      }),
    );
  });

  it('a one-to-one enum map', () => {
    const rule: MappingRule = { id: 'r', source: 'a.code', target: 'b.term', transform: { type: 'enum', map: { P1M: 'monthly', P1Y: 'annual', P3Y: 'triennial' } } };
    fc.assert(
      fc.property(fc.constantFrom('P1M', 'P1Y', 'P3Y'), (code) => {
        expect(roundTrip(rule, { a: { code } })).toEqual({ a: { code } });
      }),
    );
  });

  it('says why a rule has no inverse', () => {
    expect(invertRule({ id: 'r', source: 'a.percent', target: 'b.ratio', transform: { type: 'decimal', scale: 2 } })).toEqual({
      reason: 'a decimal rule loses information (rounding, joining, constants or defaults), so it has no inverse',
    });
    expect(invertRule({ id: 'r', source: 'a.code', target: 'b.term', transform: { type: 'enum', map: { P1M: 'monthly', P1Y: 'monthly' } } })).toEqual({
      reason: 'maps both "P1M" and "P1Y" to "monthly"',
    });
    expect(invertRule({ id: 'r', target: 'b.text', transform: { type: 'template', template: '{a.text}' } })).toEqual({ reason: 'a template rule reads no single source to write back to' });
  });
});
