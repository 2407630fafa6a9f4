import { describe, expect, it } from 'vitest';
import { and, contains, eq, exist, gte, isIn, or } from '../../../src/connectors/autotask/filter.ts';

// Expected objects are Autotask's documented filter shapes (test/fixtures/vendor/autotask.json).
describe('Autotask query filters', () => {
  it('builds the documented condition and group objects', () => {
    expect(gte('lastModifiedDateTime', new Date('2026-01-01T00:00:00.000Z'))).toEqual({ op: 'gte', field: 'lastModifiedDateTime', value: '2026-01-01T00:00:00Z' });
    expect(and(eq('companyID', 1001), eq('isActive', true))).toEqual({ op: 'and', items: [{ op: 'eq', field: 'companyID', value: 1001 }, { op: 'eq', field: 'isActive', value: true }] });
    expect(or(contains('title', 'VPN'), exist('projectID'))).toEqual({ op: 'or', items: [{ op: 'contains', field: 'title', value: 'VPN' }, { op: 'exist', field: 'projectID' }] });
    expect(isIn('id', [1, 2, 3])).toEqual({ op: 'in', field: 'id', value: [1, 2, 3] });
    expect(and(eq('id', 1))).toEqual({ op: 'eq', field: 'id', value: 1 });
  });

  it('refuses what Autotask would refuse or misread, naming it', () => {
    expect(() => eq('company ID', 1)).toThrow(/not an Autotask field name/);
    expect(() => isIn('id', [])).toThrow(/empty list/);
    expect(() => isIn('id', Array.from({ length: 501 }, (_, i) => i))).toThrow(/at most 500/);
    expect(() => gte('dateWorked', new Date('nonsense'))).toThrow(/invalid date/);
    expect(() => and()).toThrow(/no conditions/);
  });
});
