import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const preview = (payload: unknown, key = hub.keys.finance) =>
  hub.app.inject({ method: 'POST', url: '/v1/revenue-schedules/preview', payload: payload as object, headers: hub.auth(key) });

const annual = { total: '1200.00', currency: 'USD', serviceStart: '2026-03-15', serviceEnd: '2027-03-14', pattern: 'ratable-daily' };

describe('POST /v1/revenue-schedules/preview', () => {
  it('answers the ratable schedule of $1,200.00 annual from 2026-03-15, worked out by hand', async () => {
    const res = await preview(annual);
    expect(res.statusCode, res.body).toBe(200);
    // 1200 × 17 ÷ 365 = 55.89 in March; cumulative rounding leaves 46.03 for the 14 days of March 2027.
    expect(res.json().entries).toEqual([
      { period: '2026-03', amount: '55.89' }, { period: '2026-04', amount: '98.63' }, { period: '2026-05', amount: '101.92' },
      { period: '2026-06', amount: '98.63' }, { period: '2026-07', amount: '101.92' }, { period: '2026-08', amount: '101.91' },
      { period: '2026-09', amount: '98.63' }, { period: '2026-10', amount: '101.92' }, { period: '2026-11', amount: '98.63' },
      { period: '2026-12', amount: '101.92' }, { period: '2027-01', amount: '101.92' }, { period: '2027-02', amount: '92.05' },
      { period: '2027-03', amount: '46.03' },
    ]);
  });

  it('writes nothing', async () => {
    const before = await hub.ctx.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect((await preview({ ...annual, pattern: 'point-in-time' })).json().entries).toEqual([{ period: '2027-03', amount: '1200.00' }]);
    const after = await hub.ctx.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...annual, serviceEnd: '2026-03-14' }, 'serviceEnd', /before it starts/],
      [{ ...annual, currency: 'XYZ' }, 'currency', /Unknown currency/],
      [{ ...annual, total: '1200.001' }, 'total', /more decimals than USD allows/],
      [{ ...annual, currency: 'JPY', total: '1200.5' }, 'total', /more decimals than JPY allows \(0\)/],
      [{ ...annual, pattern: 'weekly' }, 'pattern', /must be one of/],
      [{ ...annual, total: 1200 }, 'total', /decimal string/],
      [{ ...annual, serviceStart: '2026-02-30' }, 'serviceStart', /./],
    ];
    for (const [body, field, reason] of cases) {
      const res = await preview(body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().field).toBe(field);
      expect(res.json().detail).toMatch(reason);
    }
  });

  it('is refused to roles outside finance', async () => {
    expect((await preview(annual, hub.keys.sales_ops)).statusCode).toBe(403);
  });
});
