import { describe, expect, it } from 'vitest';
import { checkMapping, type MappingRule } from '../../../src/mappings/engine/index.ts';
import { canonical, vendor } from './engine-schemas.ts';

const problemsOf = (rules: MappingRule[]) => checkMapping({ rules }, vendor, canonical).problems;

describe('mapping validation', () => {
  it('refuses an unknown source path naming the rule', () => {
    expect(problemsOf([{ id: 'budget', source: 'v.nope', target: 'c.budget', transform: { type: 'decimal', scale: 2 } }])).toEqual([
      { rule: 'budget', field: 'source', reason: 'v.nope is not a field of test vendor record' },
    ]);
    // The wildcard admits one segment only.
    expect(problemsOf([{ id: 'deep', source: 'v.custom.a.b', target: 'c.label', transform: { type: 'copy' } }])).toEqual([
      { rule: 'deep', field: 'source', reason: 'v.custom.a.b is not a field of test vendor record' },
    ]);
    expect(problemsOf([{ id: 'tpl', target: 'c.label', transform: { type: 'template', template: '{v.name} {v.missing}' } }])).toEqual([
      { rule: 'tpl', field: 'transform', reason: 'v.missing is not a field of test vendor record' },
    ]);
  });

  it('refuses an unknown target path and two rules writing one field', () => {
    expect(problemsOf([{ id: 'x', source: 'v.name', target: 'c.nothing', transform: { type: 'copy' } }])).toEqual([
      { rule: 'x', field: 'target', reason: 'c.nothing is not a field of test canonical record' },
    ]);
    expect(
      problemsOf([
        { id: 'a', source: 'v.name', target: 'c.name', transform: { type: 'copy' } },
        { id: 'b', source: 'v.first', target: 'c.name', transform: { type: 'copy' } },
      ]),
    ).toEqual([{ rule: 'b', field: 'target', reason: 'c.name is already written by rule a: one rule per field' }]);
  });

  it('refuses a type mismatch naming the rule, the field and both types', () => {
    expect(problemsOf([{ id: 'budget', source: 'v.custom.azure_budget', target: 'c.budget', transform: { type: 'copy' } }])).toEqual([
      { rule: 'budget', field: 'target', reason: 'c.budget holds decimal, but the rule yields string (read text as decimal with a decimal, datetime or expression transform)' },
    ]);
    expect(problemsOf([{ id: 'when', source: 'v.closed', target: 'c.closedOn', transform: { type: 'copy' } }])).toEqual([
      { rule: 'when', field: 'target', reason: 'c.closedOn holds date, but the rule yields datetime' },
    ]);
    expect(problemsOf([{ id: 'sum', target: 'c.amount', transform: { type: 'expression', expression: 'v.name + 1' } }])).toEqual([
      { rule: 'sum', field: 'transform', reason: 'expression: + needs numbers, not string and integer (read text as a number with decimal(), join text with concat())' },
    ]);
    expect(problemsOf([{ id: 'c', target: 'c.amount', transform: { type: 'constant', value: 'ten' } }])).toEqual([
      { rule: 'c', field: 'transform', reason: 'constant "ten" is not a decimal' },
    ]);
    expect(problemsOf([{ id: 'u', source: 'v.closed', target: 'c.amount', transform: { type: 'unit', from: 'gb', to: 'mb' } }])).toEqual([
      { rule: 'u', field: 'transform', reason: 'unit converts numbers, but v.closed is datetime' },
    ]);
  });

  it('refuses enum maps that leave a vendor value unmapped or write a value the target does not hold', () => {
    expect(problemsOf([{ id: 'e', source: 'v.stage', target: 'c.status', transform: { type: 'enum', map: { won: 'active', lost: 'cancelled' } } }])).toEqual([
      { rule: 'e', field: 'transform', reason: 'enum map leaves open of v.stage unmapped' },
    ]);
    expect(problemsOf([{ id: 'e', source: 'v.stage', target: 'c.status', transform: { type: 'enum', map: { won: 'active', lost: 'gone', open: 'pending' } } }])).toEqual([
      { rule: 'e', field: 'transform', reason: 'enum map writes "gone", which is not one of active, cancelled, pending' },
    ]);
  });

  it('refuses malformed transforms: units of two dimensions, unknown zones, bad scale, syntax errors', () => {
    expect(problemsOf([{ id: 'u', source: 'v.sizeGb', target: 'c.sizeMb', transform: { type: 'unit', from: 'gb', to: 'hour' } }])).toEqual([
      { rule: 'u', field: 'transform', reason: 'cannot convert gb (data) to hour (duration)' },
    ]);
    expect(problemsOf([{ id: 'z', source: 'v.closed', target: 'c.closedOn', transform: { type: 'datetime', to: 'date', timeZone: 'Mars/Olympus' } }])).toEqual([
      { rule: 'z', field: 'transform', reason: 'time zone Mars/Olympus is not an IANA time zone' },
    ]);
    expect(problemsOf([{ id: 's', source: 'v.price', target: 'c.amount', transform: { type: 'decimal', scale: 2.5 } }])).toEqual([
      { rule: 's', field: 'transform', reason: 'scale must be a whole number from 0 to 20, not 2.5' },
    ]);
    expect(problemsOf([{ id: 'x', target: 'c.amount', transform: { type: 'expression', expression: 'v.price *' } }])).toEqual([
      { rule: 'x', field: 'transform', reason: 'expression: ends where a value was expected' },
    ]);
    expect(problemsOf([{ id: 'c', source: 'v.price', target: 'c.amount', transform: { type: 'copy' } }, { id: 'c', source: 'v.name', target: 'c.name', transform: { type: 'copy' } }])).toEqual([
      { rule: 'c', field: 'id', reason: 'is used by another rule' },
    ]);
    expect(problemsOf([{ id: 'd', target: 'c.amount', transform: { type: 'decimal', scale: 2 } }])).toEqual([
      { rule: 'd', field: 'source', reason: 'a decimal rule needs a source path' },
    ]);
  });

  it('refuses a cycle, naming the rules on it', () => {
    expect(
      problemsOf([
        { id: 'total', target: 'c.total', transform: { type: 'expression', expression: 'c.amount * 2' } },
        { id: 'amount', target: 'c.amount', transform: { type: 'expression', expression: 'c.budget + 1' } },
        { id: 'budget', target: 'c.budget', transform: { type: 'expression', expression: 'c.total / 2' } },
      ]),
    ).toEqual([{ rule: 'total', field: 'source', reason: 'rules form a cycle: total → amount → budget → total' }]);
    expect(problemsOf([{ id: 'self', target: 'c.amount', transform: { type: 'expression', expression: 'c.amount + 1' } }])).toEqual([
      { rule: 'self', field: 'source', reason: 'rules form a cycle: self → self' },
    ]);
  });

  it('refuses reading a canonical field that no rule writes', () => {
    expect(problemsOf([{ id: 't', target: 'c.total', transform: { type: 'expression', expression: 'c.amount * 2' } }])).toEqual([
      { rule: 't', field: 'transform', reason: 'reads c.amount, a field of test canonical record that no rule writes' },
    ]);
  });
});
