/**
 * Spend anomaly rules over one customer's daily Azure spend (Microsoft's
 * BillingPreTaxTotal summed per usage date, in its billing currency).
 *
 * - Forecast: the customer's quote baseline where one exists (its monthly Azure budget
 *   spread evenly over the days of the month), else the trailing average: the mean of the
 *   `trailingDays` days before the day checked, days without usage counting as zero once
 *   the customer has usage at all. Without `minHistoryDays` of history there is no
 *   trailing forecast and the rule stays silent rather than guess.
 * - spend_above_forecast: the day's spend above `forecastWarningPercent` % of the
 *   forecast is a warning, above `forecastCriticalPercent` % critical. At stake: spend −
 *   forecast.
 * - spend_velocity: the day's spend above `velocityMultiple` × the trailing average of
 *   the `velocityTrailingDays` days before it (a runaway deployment), always critical. At
 *   stake: spend − that average.
 * "Above" is strict: exactly 110 % is not an anomaly. Money at stake is rounded half-up
 * to the currency's minor unit, once.
 */
import { Decimal, HUNDRED, ZERO, sum } from './decimal.ts';
import { addDays, daysInMonth, toDayNumber } from './dates.ts';
import { minorUnits, roundToMinorUnit } from './money.ts';
import type { CurrencyCode, IsoDate } from './types.ts';

export interface AnomalyThresholds {
  forecastWarningPercent: Decimal;
  forecastCriticalPercent: Decimal;
  velocityMultiple: Decimal;
  trailingDays: number;
  velocityTrailingDays: number;
  minHistoryDays: number;
}

export const DEFAULT_ANOMALY_THRESHOLDS: Readonly<AnomalyThresholds> = Object.freeze({
  forecastWarningPercent: new Decimal(110),
  forecastCriticalPercent: new Decimal(120),
  velocityMultiple: new Decimal(5),
  trailingDays: 14,
  velocityTrailingDays: 7,
  minHistoryDays: 7,
});

export interface DailySpend {
  date: IsoDate;
  amount: Decimal;
}

export interface SpendInput {
  currency: CurrencyCode;
  /** The day checked (usually yesterday: the last complete day). */
  day: IsoDate;
  /** Daily spend up to and including `day`, any order; a date absent had no usage. */
  series: readonly DailySpend[];
  /** The expected monthly Azure spend from the customer's latest quote, in `currency`. */
  baseline?: { monthlyBudget: Decimal; quoteId: string } | null;
}

export type SpendRule = 'spend_above_forecast' | 'spend_velocity';
export type LicenceRule = 'unassigned_licences' | 'low_utilisation';
export type AnomalyRule = SpendRule | LicenceRule;

export interface AnomalyFinding {
  rule: AnomalyRule;
  /** What the finding is about, unique per customer and rule: the day, or the SKU and since when. */
  subject: string;
  severity: 'warning' | 'critical';
  observedOn: IsoDate;
  amountAtStake: Decimal;
  message: string;
  evidence: Record<string, string | number | null>;
}

/** The mean of the `days` days before `day`, or null with less than `minHistory` days since the first usage. */
function trailingAverage(byDate: Map<IsoDate, Decimal>, first: IsoDate | undefined, day: IsoDate, days: number, minHistory: number): { average: Decimal; from: IsoDate; to: IsoDate; days: number } | null {
  if (first === undefined) return null;
  const to = addDays(day, -1);
  let from = addDays(day, -days);
  if (toDayNumber(from) < toDayNumber(first)) from = first;
  const count = toDayNumber(to) - toDayNumber(from) + 1;
  if (count < minHistory) return null;
  const amounts: Decimal[] = [];
  for (let d = from; toDayNumber(d) <= toDayNumber(to); d = addDays(d, 1)) amounts.push(byDate.get(d) ?? ZERO);
  return { average: sum(amounts).div(count), from, to, days: count };
}

/**
 * The rules that fire for one day of one customer's spend.
 *
 * @example
 *   spendAnomalies({ currency: 'USD', day: '2026-10-15', series }, DEFAULT_ANOMALY_THRESHOLDS)
 *   // 14 days of 100.00 then 115.00: [{ rule: 'spend_above_forecast', severity: 'warning', amountAtStake: 15.00, … }]
 */
export function spendAnomalies(input: SpendInput, thresholds: AnomalyThresholds = DEFAULT_ANOMALY_THRESHOLDS): AnomalyFinding[] {
  const byDate = new Map<IsoDate, Decimal>();
  for (const p of input.series) byDate.set(p.date, (byDate.get(p.date) ?? ZERO).plus(p.amount));
  const history = [...byDate.keys()].filter((d) => toDayNumber(d) < toDayNumber(input.day)).sort();
  const first = history[0];
  const spend = byDate.get(input.day) ?? ZERO;
  const money = (d: Decimal) => roundToMinorUnit(d, input.currency, 'half_up');
  const shown = (d: Decimal) => money(d).toFixed(minorUnits(input.currency));
  const findings: AnomalyFinding[] = [];

  let forecast: { amount: Decimal; source: 'quote' | 'trailing'; from: IsoDate | null; to: IsoDate | null; quoteId: string | null } | null = null;
  if (input.baseline) {
    const [y, m] = input.day.split('-').map(Number) as [number, number];
    forecast = { amount: input.baseline.monthlyBudget.div(daysInMonth(y, m)), source: 'quote', from: null, to: null, quoteId: input.baseline.quoteId };
  } else {
    const trailing = trailingAverage(byDate, first, input.day, thresholds.trailingDays, thresholds.minHistoryDays);
    if (trailing) forecast = { amount: trailing.average, source: 'trailing', from: trailing.from, to: trailing.to, quoteId: null };
  }
  if (forecast && forecast.amount.gt(0)) {
    const percent = spend.div(forecast.amount).times(HUNDRED);
    const severity = percent.gt(thresholds.forecastCriticalPercent) ? 'critical' : percent.gt(thresholds.forecastWarningPercent) ? 'warning' : null;
    if (severity) {
      const limit = severity === 'critical' ? thresholds.forecastCriticalPercent : thresholds.forecastWarningPercent;
      const atStake = money(spend.minus(forecast.amount));
      findings.push({
        rule: 'spend_above_forecast',
        subject: input.day,
        severity,
        observedOn: input.day,
        amountAtStake: atStake,
        message: `Azure spend on ${input.day} was ${shown(spend)} ${input.currency}, ${percent.toDecimalPlaces(1).toString()} % of the forecast ${shown(forecast.amount)} (above ${limit.toString()} %)`,
        evidence: {
          spend: spend.toString(),
          forecast: forecast.amount.toDecimalPlaces(6).toString(),
          forecastSource: forecast.source,
          quoteId: forecast.quoteId,
          windowFrom: forecast.from,
          windowTo: forecast.to,
          percentOfForecast: percent.toDecimalPlaces(2).toString(),
          thresholdPercent: limit.toString(),
        },
      });
    }
  }

  const velocity = trailingAverage(byDate, first, input.day, thresholds.velocityTrailingDays, thresholds.minHistoryDays);
  if (velocity && velocity.average.gt(0) && spend.gt(velocity.average.times(thresholds.velocityMultiple))) {
    const multiple = spend.div(velocity.average);
    findings.push({
      rule: 'spend_velocity',
      subject: input.day,
      severity: 'critical',
      observedOn: input.day,
      amountAtStake: money(spend.minus(velocity.average)),
      message: `Azure spend on ${input.day} was ${shown(spend)} ${input.currency}, ${multiple.toDecimalPlaces(1).toString()}× the ${velocity.days}-day average ${shown(velocity.average)}: a runaway deployment?`,
      evidence: {
        spend: spend.toString(),
        trailingAverage: velocity.average.toDecimalPlaces(6).toString(),
        windowFrom: velocity.from,
        windowTo: velocity.to,
        multiple: multiple.toDecimalPlaces(2).toString(),
        thresholdMultiple: thresholds.velocityMultiple.toString(),
      },
    });
  }
  return findings;
}
