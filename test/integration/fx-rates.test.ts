import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEffectiveRateCard, loadFxPolicy } from '../../src/db/rate-cards.ts';
import { convertCurrency } from '../../src/engine/fx.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const post = (url: string, payload: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method: 'POST', url, payload: payload as object, headers: hub.auth(key) });
const get = (url: string, key = hub.keys.auditor) => hub.app.inject({ method: 'GET', url, headers: hub.auth(key) });

const market = (from: string, date: string, rate: string, to = 'USD') => ({ source: 'market', from, to, date, rate });

/** A customer card priced in USD with the given fx, approved by sales_ops and finance. */
async function approvedCard(fx: Record<string, unknown>): Promise<string> {
  const customerId = (await post('/v1/customers', { name: `FX ${JSON.stringify(fx)}` }, hub.keys.admin)).json().id as string;
  const card = await post(
    '/v1/rate-cards',
    { name: 'FX card', customerId, currency: 'USD', fx, effectiveFrom: '2026-01-01', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '10' }] },
    hub.keys.admin,
  );
  expect(card.statusCode, card.body).toBe(201);
  for (const key of [hub.keys.sales_ops, hub.keys.finance]) {
    expect((await post(`/v1/rate-cards/${card.json().id}/versions/1/approve`, {}, key)).statusCode).toBe(200);
  }
  return customerId;
}

describe('fx rates', () => {
  it('records rates in bulk and replaces a rate with the same source, pair and date', async () => {
    const first = await post('/v1/fx-rates', [market('EUR', '2026-10-31', '1.0842'), market('GBP', '2026-10-31', '1.2710'), { source: 'fixed', from: 'EUR', to: 'USD', date: '2026-01-01', rate: '1.10' }]);
    expect(first.statusCode).toBe(200);
    expect(first.json().items).toMatchObject([
      { source: 'market', from: 'EUR', to: 'USD', date: '2026-10-31', rate: '1.0842' },
      { source: 'market', from: 'GBP', to: 'USD', date: '2026-10-31', rate: '1.2710' },
      { source: 'fixed', from: 'EUR', to: 'USD', date: '2026-01-01', rate: '1.10' },
    ]);
    const eurId = first.json().items[0].id;

    const again = await post('/v1/fx-rates', [market('EUR', '2026-10-31', '1.0850'), market('EUR', '2026-11-10', '1.0900')], hub.keys.admin);
    expect(again.statusCode).toBe(200);
    expect(again.json().items[0]).toMatchObject({ id: eurId, rate: '1.0850' });
    const stored = await hub.ctx.db.selectFrom('fx_rates').selectAll().where('from_currency', '=', 'EUR').where('source', '=', 'market').orderBy('rate_date').execute();
    expect(stored.map((r) => [r.rate_date, r.rate])).toEqual([['2026-10-31', '1.0850'], ['2026-11-10', '1.0900']]);

    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'fx_rate.upsert').orderBy('seq').execute();
    expect(audit).toHaveLength(2);
    expect(audit[1]!.before).toMatchObject([{ id: eurId, rate: '1.0842' }]);
    expect(audit[1]!.after).toMatchObject([{ id: eurId, rate: '1.0850' }, { date: '2026-11-10', rate: '1.0900' }]);
  });

  it('answers bad rates with 400 naming the item and field, and writes none of them', async () => {
    const good = market('CHF', '2026-01-02', '1.13');
    const cases: [unknown, string, RegExp][] = [
      [[good, { ...good, to: 'CHF' }], '1.to', /differ/],
      [[{ ...good, rate: '0' }], '0.rate', /more than 0/],
      [[{ ...good, rate: 1.13 }], '0.rate', /decimal string/],
      [[{ ...good, rate: '-1.13' }], '0.rate', /pattern/],
      [[good, { ...good, rate: '1.14' }], '1.date', /repeats the source, pair and date of item 0/],
      [[{ ...good, source: 'ecb' }], '0.source', /one of market, fixed, microsoft/],
      [[{ ...good, date: '2026-02-30' }], '0.date', /format/],
      [[{ ...good, from: 'chf' }], '0.from', /pattern/],
      [[], 'body', /fewer than 1/],
      [{ rates: [good] }, 'body', /array/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await post('/v1/fx-rates', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const problem = res.json();
      expect(problem.field, JSON.stringify(problem)).toBe(field);
      expect(problem.errors.find((e: { field: string }) => e.field === field).reason).toMatch(reason);
    }
    expect(await hub.ctx.db.selectFrom('fx_rates').select('id').where('from_currency', '=', 'CHF').execute()).toEqual([]);
    expect((await post('/v1/fx-rates', [good], hub.keys.billing_ops)).statusCode).toBe(403);
    expect((await post('/v1/fx-rates', [good], hub.keys.sales_ops)).statusCode).toBe(403);
  });

  it('lists rates by pair and source, latest date first, a page at a time', async () => {
    const days = ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'];
    await post('/v1/fx-rates', days.map((d, i) => market('JPY', d, `0.0066${i}`)));
    await post('/v1/fx-rates', [market('JPY', '2026-01-05', '0.0067', 'EUR')]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/fx-rates?from=JPY&to=USD&source=market&limit=2${cursor ? `&cursor=${cursor}` : ''}`, hub.keys.billing_ops);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: { date: string; to: string }[]; nextCursor: string | null };
      expect(page.items.every((r) => r.to === 'USD')).toBe(true);
      seen.push(...page.items.map((r) => r.date));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...days].reverse());
    expect((await get('/v1/fx-rates?from=JPY&to=EUR')).json().items).toMatchObject([{ rate: '0.0067' }]);
    expect((await get('/v1/fx-rates?source=fixed')).json().items.every((r: { source: string }) => r.source === 'fixed')).toBe(true);
  });

  it("builds the fx policy a card prices a period with: market rates into the card's currency", async () => {
    await post('/v1/fx-rates', [
      market('SEK', '2026-10-28', '0.0900'),
      market('SEK', '2026-10-30', '0.0910'),
      market('SEK', '2026-11-15', '0.0920'),
      market('SEK', '2026-12-01', '0.0930'),
      market('SEK', '2026-11-15', '0.0950', 'EUR'),
      { source: 'fixed', from: 'SEK', to: 'USD', date: '2026-11-01', rate: '0.5' },
    ]);
    const customerId = await approvedCard({ source: 'market' });
    const card = (await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-11-20'))!;
    const policy = await loadFxPolicy(hub.ctx.db, card, '2026-11');
    expect(policy.source).toBe('market');
    const table = policy.source === 'market' ? policy.table : [];
    const sek = table.filter((r) => r.from === 'SEK');
    expect(sek.map((r) => [r.date, r.rate.toString(), r.to])).toEqual([
      ['2026-10-30', '0.091', 'USD'],
      ['2026-11-15', '0.092', 'USD'],
    ]);
    expect(sek[0]!.rate).toBeInstanceOf(Decimal);
    expect(table.every((r) => r.to === 'USD')).toBe(true);

    // The engine picks the latest rate on or before each day from it.
    const early = convertCurrency({ amount: new Decimal('1000'), from: 'SEK', to: 'USD', date: '2026-11-03' }, policy);
    expect(early.amount.toString()).toBe('91');
    expect(early.fx).toMatchObject({ source: 'market', rateDate: '2026-10-30', rateId: sek[0]!.id });
    const late = convertCurrency({ amount: new Decimal('1000'), from: 'SEK', to: 'USD', date: '2026-11-30' }, policy);
    expect(late.amount.toString()).toBe('92');
  });

  it("takes a fixed card's rate from its version, and Microsoft's from each line", async () => {
    const fixedCustomer = await approvedCard({ source: 'fixed', from: 'EUR', rate: '1.0800' });
    const fixedCard = (await loadEffectiveRateCard(hub.ctx.db, fixedCustomer, '2026-03-01'))!;
    const fixed = await loadFxPolicy(hub.ctx.db, fixedCard, '2026-03');
    expect(fixed).toMatchObject({ source: 'fixed', from: 'EUR', to: 'USD', date: '2026-01-01', id: fixedCard.versionId });
    expect(fixed.source === 'fixed' && fixed.rate.toString()).toBe('1.08');
    expect(convertCurrency({ amount: new Decimal('100'), from: 'EUR', to: 'USD', date: '2026-03-05' }, fixed).amount.toString()).toBe('108');

    const msCustomer = await approvedCard({ source: 'microsoft' });
    const msCard = (await loadEffectiveRateCard(hub.ctx.db, msCustomer, '2026-03-01'))!;
    expect(await loadFxPolicy(hub.ctx.db, msCard, '2026-03')).toEqual({ source: 'microsoft' });
  });
});
