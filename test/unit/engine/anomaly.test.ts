import { describe, expect, it } from 'vitest';
import { DEFAULT_ANOMALY_THRESHOLDS, spendAnomalies, type DailySpend } from '../../../src/engine/anomaly.ts';
import { Decimal } from '../../../src/engine/decimal.ts';

// Hand-built daily spend series; every expected figure is worked out in the comment beside it.

/** `days` consecutive days of the same spend, ending the day before `day`. */
function flat(amount: string, days: number, lastDay: string): DailySpend[] {
  const end = new Date(`${lastDay}T00:00:00Z`).getTime();
  return Array.from({ length: days }, (_, i) => ({ date: new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10), amount: new Decimal(amount) }));
}

const day = '2026-10-15';
const check = (series: DailySpend[], spend: string | null, extra: Partial<Parameters<typeof spendAnomalies>[0]> = {}) =>
  spendAnomalies({ currency: 'USD', day, series: spend === null ? series : [...series, { date: day, amount: new Decimal(spend) }], ...extra });
const summary = (f: ReturnType<typeof spendAnomalies>) => f.map((x) => [x.rule, x.severity, x.amountAtStake.toFixed(2)]);

describe('spend above forecast (trailing 14-day average)', () => {
  const history = flat('100.00', 14, '2026-10-14');

  it('is silent at exactly 110 % and fires a warning just above it, the excess to the cent', () => {
    expect(check(history, '110.00')).toEqual([]);
    // 110.01 − 100 = 10.01.
    expect(summary(check(history, '110.01'))).toEqual([['spend_above_forecast', 'warning', '10.01']]);
  });

  it('is critical above 120 %', () => {
    expect(summary(check(history, '120.00'))).toEqual([['spend_above_forecast', 'warning', '20.00']]);
    // 120.005 − 100 = 20.005 → 20.01 (half-up, once).
    expect(summary(check(history, '120.005'))).toEqual([['spend_above_forecast', 'critical', '20.01']]);
  });

  it('averages over the window, a day without usage counting as zero', () => {
    // 13 days of 100 and one missing day: 1300 ÷ 14 = 92.857142…; 110 % of it = 102.142857…
    const gap = history.filter((p) => p.date !== '2026-10-08');
    expect(check(gap, '102.14')).toEqual([]);
    const [finding] = check(gap, '102.15');
    // 102.15 − 92.857142… = 9.292857… → 9.29.
    expect(finding!.amountAtStake.toFixed(2)).toBe('9.29');
    expect(finding!.evidence).toMatchObject({ forecastSource: 'trailing', windowFrom: '2026-10-01', windowTo: '2026-10-14', percentOfForecast: '110.01' });
  });

  it('stays silent without seven days of history', () => {
    expect(check(flat('100.00', 6, '2026-10-14'), '1000.00')).toEqual([]);
    // Seven days: the window is those seven (700 ÷ 7 = 100): 1000 is 10× → both rules.
    expect(summary(check(flat('100.00', 7, '2026-10-14'), '1000.00'))).toEqual([
      ['spend_above_forecast', 'critical', '900.00'],
      ['spend_velocity', 'critical', '900.00'],
    ]);
  });

  it("uses the quote's monthly budget spread over the month's days where one exists", () => {
    // 3,100.00 ÷ 31 October days = 100.00 a day, whatever the history says.
    const cheap = flat('10.00', 14, '2026-10-14');
    const baseline = { monthlyBudget: new Decimal('3100.00'), quoteId: 'q-1' };
    // (The velocity rule still compares with the history: 110 is 11× its 10.00 a day.)
    const forecastOnly = (spend: string) => check(cheap, spend, { baseline }).filter((f) => f.rule === 'spend_above_forecast');
    expect(forecastOnly('110.00')).toEqual([]);
    const [finding] = forecastOnly('125.50');
    expect(finding).toMatchObject({ rule: 'spend_above_forecast', severity: 'critical', evidence: { forecastSource: 'quote', quoteId: 'q-1', forecast: '100' } });
    expect(finding!.amountAtStake.toFixed(2)).toBe('25.50');
  });
});

describe('spend velocity (5× the trailing 7-day average)', () => {
  it('fires only above five times the average, with the excess at stake', () => {
    // Forecast (14 days of 100) and velocity (7 days of 100) both at 100: 500 is 5× exactly.
    const history = flat('100.00', 14, '2026-10-14');
    expect(summary(check(history, '500.00'))).toEqual([['spend_above_forecast', 'critical', '400.00']]);
    expect(summary(check(history, '500.01'))).toEqual([
      ['spend_above_forecast', 'critical', '400.01'],
      ['spend_velocity', 'critical', '400.01'],
    ]);
  });

  it('compares with the last seven days only', () => {
    // Days 1–7 at 10.00, days 8–14 at 100.00: 14-day mean 55, 7-day mean 100. 600 is 6× the 7-day mean.
    const history = [...flat('10.00', 7, '2026-10-07'), ...flat('100.00', 7, '2026-10-14')];
    const findings = check(history, '600.00');
    expect(summary(findings)).toEqual([
      ['spend_above_forecast', 'critical', '545.00'],
      ['spend_velocity', 'critical', '500.00'],
    ]);
    expect(findings[1]!.evidence).toMatchObject({ windowFrom: '2026-10-08', windowTo: '2026-10-14', multiple: '6' });
  });

  it('takes per-customer thresholds', () => {
    const history = flat('100.00', 14, '2026-10-14');
    const strict = { ...DEFAULT_ANOMALY_THRESHOLDS, forecastWarningPercent: new Decimal(105), velocityMultiple: new Decimal(1.5) };
    expect(summary(spendAnomalies({ currency: 'USD', day, series: [...history, { date: day, amount: new Decimal('151.00') }] }, strict))).toEqual([
      ['spend_above_forecast', 'critical', '51.00'],
      ['spend_velocity', 'critical', '51.00'],
    ]);
  });

  it('rounds to the currency: JPY has no minor unit', () => {
    const history = flat('10000', 14, '2026-10-14');
    const [finding] = spendAnomalies({ currency: 'JPY', day, series: [...history, { date: day, amount: new Decimal('11500.5') }] });
    // 11500.5 − 10000 = 1500.5 → 1501.
    expect(finding!.amountAtStake.toString()).toBe('1501');
  });
});
