import { describe, expect, it } from 'vitest';
import { html } from '../../../src/console/html.ts';
import { pivotUsage } from '../../../src/console/pages/usage.ts';
import { nextPeriod, previousPeriod } from '../../../src/console/pages/dashboard.ts';
import { sumByCurrency } from '../../../src/console/queues.ts';
import { diffVersions, type VersionLike } from '../../../src/console/rate-card-diff.ts';

const v1: VersionLike = {
  version: 1,
  currency: 'USD',
  rounding: { scope: 'invoice', mode: 'half_up' },
  fx: { source: 'microsoft', rate: null, from: null },
  minimumMonthly: null,
  targetMarginPercent: '12',
  effectiveFrom: '2026-09-01',
  rules: [
    { match: { default: true }, basis: 'cost', markupPercent: '15', unitPrice: null },
    { match: { category: 'storage' }, basis: 'cost', markupPercent: '20', unitPrice: null },
  ],
};

describe('console views', () => {
  it('escapes data in markup, and keeps markup made by html`` as it is', () => {
    const name = `<script>alert("x")</script> & 'co'`;
    expect(html`<td>${name}</td>`.text).toBe('<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</td>');
    expect(html`<tr>${[html`<td>${'a<b'}</td>`, html`<td>2</td>`]}</tr>`.text).toBe('<tr><td>a&lt;b</td><td>2</td></tr>');
  });

  it('diffs a rate card version by setting and by what each rule matches', () => {
    const v2: VersionLike = {
      ...v1,
      version: 2,
      effectiveFrom: '2026-10-01',
      rules: [
        { match: { default: true }, basis: 'cost', markupPercent: '12', unitPrice: null },
        { match: { sku: 'CFQ7TTC0LH18:0001' }, basis: null, markupPercent: null, unitPrice: '36.00' },
      ],
    };
    expect(diffVersions(v1, v2)).toEqual([
      { what: 'effective from', before: '2026-09-01', after: '2026-10-01' },
      { what: 'rule default', before: 'cost + 15 %', after: 'cost + 12 %' },
      { what: 'rule category storage', before: 'cost + 20 %', after: '—' },
      { what: 'rule sku CFQ7TTC0LH18:0001', before: '—', after: 'unit price 36.00' },
    ]);
    expect(diffVersions(v1, { ...v1, version: 2 })).toEqual([]);
    expect(diffVersions(undefined, v1).map((c) => c.what)).toEqual([
      'currency', 'rounding', 'exchange rate', 'target margin %', 'effective from', 'rule default', 'rule category storage',
    ]);
  });

  it('pivots usage into days × categories with exact day totals', () => {
    const { categories, rows } = pivotUsage([
      { date: '2026-10-04', category: 'compute', amount: '0.10' },
      { date: '2026-10-03', category: 'storage', amount: '4.40' },
      { date: '2026-10-04', category: 'network', amount: '0.20' },
    ]);
    expect(categories).toEqual(['compute', 'network', 'storage']);
    expect(rows).toEqual([
      { date: '2026-10-03', amounts: [null, null, '4.40'], total: '4.4' },
      { date: '2026-10-04', amounts: ['0.10', '0.20', null], total: '0.3' },
    ]);
  });

  it('sums money per currency in decimals (0.1 + 0.2 is 0.3)', () => {
    expect(sumByCurrency([
      { amount: '0.1', currency: 'USD' },
      { amount: '0.2', currency: 'USD' },
      { amount: '5', currency: 'EUR' },
      { amount: null, currency: 'EUR' },
    ])).toEqual({ USD: '0.3', EUR: '5' });
  });

  it('names the next month to close', () => {
    expect(nextPeriod('2026-12')).toBe('2027-01');
    expect(nextPeriod('2026-09')).toBe('2026-10');
    expect(previousPeriod(new Date('2027-01-15T00:00:00Z'))).toBe('2026-12');
    expect(previousPeriod(new Date('2026-11-30T23:00:00Z'))).toBe('2026-10');
  });
});
