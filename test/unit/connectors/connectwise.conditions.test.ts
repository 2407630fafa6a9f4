import { describe, expect, it } from 'vitest';
import { and, contains, eq, gte, isIn, literal, or } from '../../../src/connectors/connectwise/conditions.ts';
import { nextLink } from '../../../src/connectors/connectwise/link-header.ts';

// Expected strings are the developer guide's own examples (see test/fixtures/vendor/connectwise.json).
describe('ConnectWise conditions', () => {
  it('quotes each kind of value the documented way', () => {
    expect(gte('lastUpdated', new Date('2026-01-01T00:00:00.000Z')).text).toBe('lastUpdated>=[2026-01-01T00:00:00Z]');
    expect(eq('company/id', 250).text).toBe('company/id=250');
    expect(eq('board/name', 'Integration').text).toBe('board/name="Integration"');
    expect(eq('closedFlag', false).text).toBe('closedFlag=False');
    expect(isIn('board/id', [3, 2, 4]).text).toBe('board/id in (3,2,4)');
    expect(contains('summary', 'x').text).toBe('summary contains "x"');
    expect(literal('a[1]')).toBe('"a[[]1]"');
  });

  it('joins with AND / OR and brackets a nested group', () => {
    expect(and(eq('company/id', 250), gte('lastUpdated', new Date('2026-01-01T00:00:00Z'))).text).toBe('company/id=250 AND lastUpdated>=[2026-01-01T00:00:00Z]');
    expect(or(eq('a', 1), and(eq('b', 2), eq('c', 3))).text).toBe('a=1 OR (b=2 AND c=3)');
  });

  it('refuses what cannot be expressed rather than pasting it in', () => {
    expect(() => eq('company/id; drop', 1)).toThrow(/not a ConnectWise field reference/);
    expect(() => eq('name', 'say "hi"')).toThrow(/double quote/);
    expect(() => isIn('id', [])).toThrow(/empty list/);
  });
});

describe('the Link header', () => {
  it('names the next page, and nothing on the last one', () => {
    expect(nextLink('<https://x/apis/3.0/time/entries?pageSize=2&pageId=12>; rel="next"')).toBe('https://x/apis/3.0/time/entries?pageSize=2&pageId=12');
    expect(nextLink('<https://x/a?page=1>; rel="first", <https://x/a?page=3>; rel="next", <https://x/a?page=9>; rel="last"')).toBe('https://x/a?page=3');
    expect(nextLink('<https://x/a?page=1>; rel="first"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});
