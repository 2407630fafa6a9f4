import { describe, expect, it } from 'vitest';
import { applyMapping, checkMapping, type MappingRule } from '../../../src/mappings/engine/index.ts';
import { canonical, vendor } from './engine-schemas.ts';

/** Checks the rules (they must be valid) and maps one record. */
function map(rules: MappingRule[], record: unknown) {
  const { problems, checked } = checkMapping({ rules }, vendor, canonical);
  expect(problems).toEqual([]);
  return applyMapping(checked!, vendor, canonical, record);
}
const one = (rule: Omit<MappingRule, 'id'>, record: unknown) => map([{ id: 'r', ...rule }], record);

describe('mapping transforms', () => {
  it('copy passes the value through, as text when the target is text', () => {
    expect(one({ source: 'v.name', target: 'c.name', transform: { type: 'copy' } }, { v: { name: 'Contoso' } }).output).toEqual({ c: { name: 'Contoso' } });
    expect(one({ source: 'v.price', target: 'c.label', transform: { type: 'copy' } }, { v: { price: '21.50' } }).output).toEqual({ c: { label: '21.5' } });
    expect(one({ source: 'v.quantity', target: 'c.amount', transform: { type: 'copy' } }, { v: { quantity: 25 } }).output).toEqual({ c: { amount: '25' } });
    expect(one({ source: 'v.name', target: 'c.name', transform: { type: 'copy' } }, { v: {} }).output).toEqual({ c: { name: null } });
  });

  it('constant writes its value whatever the record holds', () => {
    expect(one({ target: 'c.region', transform: { type: 'constant', value: 'EU' } }, {}).output).toEqual({ c: { region: 'EU' } });
    expect(one({ target: 'c.amount', transform: { type: 'constant', value: '0.10' } }, {}).output).toEqual({ c: { amount: '0.1' } });
    expect(one({ target: 'c.active', transform: { type: 'constant', value: true } }, {}).output).toEqual({ c: { active: true } });
  });

  it('lookup translates through its table, then its fallback, else fails naming the value', () => {
    const rule = { source: 'v.country', target: 'c.region', transform: { type: 'lookup' as const, table: { DE: 'EU', FR: 'EU', US: 'NA' } } };
    expect(one(rule, { v: { country: 'FR' } }).output).toEqual({ c: { region: 'EU' } });
    expect(one(rule, { v: { country: 'JP' } }).problems).toEqual([{ rule: 'r', field: 'c.region', reason: '"JP" is not in the lookup table and the rule has no fallback' }]);
    expect(one({ ...rule, transform: { ...rule.transform, fallback: 'other' } }, { v: { country: 'JP' } }).output).toEqual({ c: { region: 'other' } });
  });

  it('default fills an empty or missing value only', () => {
    const rule = { source: 'v.priceText', target: 'c.label', transform: { type: 'default' as const, value: 'unpriced' } };
    expect(one(rule, { v: { priceText: '' } }).output).toEqual({ c: { label: 'unpriced' } });
    expect(one(rule, { v: {} }).output).toEqual({ c: { label: 'unpriced' } });
    expect(one(rule, { v: { priceText: '12' } }).output).toEqual({ c: { label: '12' } });
  });

  it('decimal scales and rounds as told (half up by default, half even on request)', () => {
    const at = (scale: number, rounding: 'half_up' | 'half_even' | 'down' | 'up' | 'floor' | 'ceil' | undefined, price: string) =>
      one({ source: 'v.price', target: 'c.amount', transform: { type: 'decimal', scale, ...(rounding ? { rounding } : {}) } }, { v: { price } }).output;
    expect(at(2, undefined, '2.345')).toEqual({ c: { amount: '2.35' } });
    expect(at(2, 'half_even', '2.345')).toEqual({ c: { amount: '2.34' } });
    expect(at(2, 'half_even', '2.355')).toEqual({ c: { amount: '2.36' } });
    expect(at(0, 'down', '-7.9')).toEqual({ c: { amount: '-7' } });
    expect(at(0, 'floor', '-7.1')).toEqual({ c: { amount: '-8' } });
    expect(at(1, 'up', '1.01')).toEqual({ c: { amount: '1.1' } });
    expect(at(1, 'ceil', '-1.09')).toEqual({ c: { amount: '-1' } });
    // Text read as a number: HubSpot sends every property as text.
    expect(one({ source: 'v.priceText', target: 'c.amount', transform: { type: 'decimal', scale: 2 } }, { v: { priceText: '8000' } }).output).toEqual({ c: { amount: '8000' } });
    expect(one({ source: 'v.priceText', target: 'c.amount', transform: { type: 'decimal', scale: 2 } }, { v: { priceText: 'eight' } }).problems).toEqual([
      { rule: 'r', field: 'c.amount', reason: 'decimal needs a number, not "eight"' },
    ]);
  });

  it('unit converts exactly between units of one dimension', () => {
    expect(one({ source: 'v.markupPercent', target: 'c.markupRatio', transform: { type: 'unit', from: 'percent', to: 'ratio' } }, { v: { markupPercent: '15' } }).output).toEqual({ c: { markupRatio: '0.15' } });
    expect(one({ source: 'v.sizeGb', target: 'c.sizeMb', transform: { type: 'unit', from: 'gib', to: 'mib' } }, { v: { sizeGb: '1.5' } }).output).toEqual({ c: { sizeMb: '1536' } });
    expect(one({ source: 'v.sizeGb', target: 'c.sizeMb', transform: { type: 'unit', from: 'gb', to: 'mb' } }, { v: { sizeGb: '0.25' } }).output).toEqual({ c: { sizeMb: '250' } });
    expect(one({ source: 'v.price', target: 'c.amount', transform: { type: 'unit', from: 'year', to: 'month' } }, { v: { price: '2' } }).output).toEqual({ c: { amount: '24' } });
  });

  it('datetime formats an instant in a time zone', () => {
    // 23:30 UTC on 30 November is already 1 December in Berlin (UTC+1) but not in New York (UTC−5).
    const closed = { v: { closed: '2026-11-30T23:30:00Z' } };
    expect(one({ source: 'v.closed', target: 'c.closedOn', transform: { type: 'datetime', to: 'date', timeZone: 'Europe/Berlin' } }, closed).output).toEqual({ c: { closedOn: '2026-12-01' } });
    expect(one({ source: 'v.closed', target: 'c.closedOn', transform: { type: 'datetime', to: 'date', timeZone: 'America/New_York' } }, closed).output).toEqual({ c: { closedOn: '2026-11-30' } });
    expect(one({ source: 'v.closed', target: 'c.closedLocal', transform: { type: 'datetime', to: 'local', timeZone: 'Asia/Tokyo' } }, closed).output).toEqual({ c: { closedLocal: '2026-12-01 08:30:00' } });
    expect(one({ source: 'v.closed', target: 'c.closedMs', transform: { type: 'datetime', to: 'epoch_ms' } }, closed).output).toEqual({ c: { closedMs: '1796081400000' } });
    expect(one({ source: 'v.epoch', target: 'c.closedAt', transform: { type: 'datetime', to: 'datetime' } }, { v: { epoch: '1796081400000' } }).output).toEqual({ c: { closedAt: '2026-11-30T23:30:00.000Z' } });
    // A calendar day is the instant it starts in the zone: midnight in Berlin is 23:00 UTC the day before.
    expect(one({ source: 'v.day', target: 'c.closedAt', transform: { type: 'datetime', to: 'datetime', timeZone: 'Europe/Berlin' } }, { v: { day: '2026-12-01' } }).output).toEqual({ c: { closedAt: '2026-11-30T23:00:00.000Z' } });
    // Summer time: midnight in Berlin is 22:00 UTC.
    expect(one({ source: 'v.day', target: 'c.closedAt', transform: { type: 'datetime', to: 'datetime', timeZone: 'Europe/Berlin' } }, { v: { day: '2026-07-01' } }).output).toEqual({ c: { closedAt: '2026-06-30T22:00:00.000Z' } });
  });

  it('template fills placeholders; concat joins the values that are there', () => {
    expect(one({ target: 'c.label', transform: { type: 'template', template: '{v.name} ({v.country})' } }, { v: { name: 'Contoso', country: 'DE' } }).output).toEqual({ c: { label: 'Contoso (DE)' } });
    expect(one({ target: 'c.label', transform: { type: 'template', template: 'x{v.price}' } }, { v: { price: '1.50' } }).output).toEqual({ c: { label: 'x1.5' } });
    expect(one({ target: 'c.name', transform: { type: 'concat', sources: ['v.first', 'v.last'], separator: ' ' } }, { v: { first: 'Ada', last: 'Lovelace' } }).output).toEqual({ c: { name: 'Ada Lovelace' } });
    expect(one({ target: 'c.name', transform: { type: 'concat', sources: ['v.first', 'v.last'], separator: ' ' } }, { v: { last: 'Lovelace' } }).output).toEqual({ c: { name: 'Lovelace' } });
  });

  it('split takes one piece, counting from the end when negative', () => {
    expect(one({ source: 'v.name', target: 'c.label', transform: { type: 'split', separator: ':', index: 0 } }, { v: { name: 'CFQ7TTC0LCHC:0002' } }).output).toEqual({ c: { label: 'CFQ7TTC0LCHC' } });
    expect(one({ source: 'v.name', target: 'c.label', transform: { type: 'split', separator: ',', index: -1 } }, { v: { name: 'a, b, c' } }).output).toEqual({ c: { label: 'c' } });
    expect(one({ source: 'v.name', target: 'c.label', transform: { type: 'split', separator: ',', index: 5 } }, { v: { name: 'a,b' } }).output).toEqual({ c: { label: null } });
  });

  it('enum maps each vendor value to a canonical one', () => {
    const rule = { source: 'v.stage', target: 'c.status', transform: { type: 'enum' as const, map: { won: 'active', lost: 'cancelled', open: 'pending' } } };
    expect(one(rule, { v: { stage: 'lost' } }).output).toEqual({ c: { status: 'cancelled' } });
    expect(one(rule, { v: { stage: 'archived' } }).problems).toEqual([
      { rule: 'r', field: 'c.status', reason: 'v.stage: "archived" is not one of won, lost, open' },
    ]);
  });

  it('expression computes with decimals, never floating point', () => {
    // 0.1 + 0.2 is 0.3 exactly; 22.00 − 1.00 off, times 25 seats = 525.
    expect(one({ target: 'c.amount', transform: { type: 'expression', expression: 'decimal(v.priceText) + 0.2' } }, { v: { priceText: '0.1' } }).output).toEqual({ c: { amount: '0.3' } });
    expect(one({ target: 'c.total', transform: { type: 'expression', expression: '(v.price - 1) * v.quantity' } }, { v: { price: '22.00', quantity: '25' } }).output).toEqual({ c: { total: '525' } });
    expect(one({ target: 'c.amount', transform: { type: 'expression', expression: 'round(v.price * 1.15, 2)' } }, { v: { price: '10.01' } }).output).toEqual({ c: { amount: '11.51' } });
    expect(one({ target: 'c.label', transform: { type: 'expression', expression: "v.price > 100 ? 'large' : 'small'" } }, { v: { price: '150' } }).output).toEqual({ c: { label: 'large' } });
    expect(one({ target: 'c.amount', transform: { type: 'expression', expression: 'coalesce(v.price, 0)' } }, { v: {} }).output).toEqual({ c: { amount: '0' } });
    expect(one({ target: 'c.amount', transform: { type: 'expression', expression: 'v.price / v.quantity' } }, { v: { price: '1', quantity: '0' } }).problems).toEqual([
      { rule: 'r', field: 'c.amount', reason: 'division by zero' },
    ]);
  });

  it('reads a custom vendor field through the schema wildcard', () => {
    expect(one({ source: 'v.custom.azure_budget', target: 'c.budget', transform: { type: 'decimal', scale: 2 } }, { v: { custom: { azure_budget: '8000.005' } } }).output).toEqual({ c: { budget: '8000.01' } });
  });

  it('runs a rule after the rule whose target it reads, and a failure carries over naming the field', () => {
    const rules: MappingRule[] = [
      { id: 'total', target: 'c.total', transform: { type: 'expression', expression: 'c.amount * v.quantity' } },
      { id: 'amount', source: 'v.priceText', target: 'c.amount', transform: { type: 'decimal', scale: 2 } },
    ];
    expect(map(rules, { v: { priceText: '2.50', quantity: '4' } }).output).toEqual({ c: { amount: '2.5', total: '10' } });
    expect(map(rules, { v: { priceText: 'n/a', quantity: '4' } }).problems).toEqual([
      { rule: 'amount', field: 'c.amount', reason: 'decimal needs a number, not "n/a"' },
      { rule: 'total', field: 'c.total', reason: 'reads c.amount, which its rule could not map' },
    ]);
  });
});
