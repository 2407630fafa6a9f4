/**
 * Licence anomaly rules over one customer's daily licence snapshots of one SKU (Microsoft
 * Graph `subscribedSkus`: `prepaidUnits.enabled` bought, `consumedUnits` assigned).
 *
 * - unassigned_licences: seats bought but not assigned on every snapshot for more than
 *   `unassignedDays` days (a run of snapshots ending on the day checked, each with
 *   enabled − consumed > 0, whose first is more than that many days before it). Warning.
 * - low_utilisation: consumed / enabled under `lowUtilisationPercent` % on every snapshot for
 *   at least `lowUtilisationDays` days (the day checked included). Critical: the customer
 *   pays for a SKU it barely uses.
 * A short gap between snapshots (up to `MAX_GAP_DAYS` days missing: the daily read may
 * fail for a while) does not break a run; a longer one does, as does a snapshot that does
 * not match: nobody knows what happened in between. Money at stake, for both: the seats that stayed
 * unassigned through the whole run (the run's smallest enabled − consumed) × the SKU's
 * monthly unit price, rounded half-up to the currency's minor unit once. Without a known
 * price the rule still fires with zero at stake and says so in its evidence.
 */
import { Decimal, HUNDRED, ZERO } from './decimal.ts';
import { toDayNumber } from './dates.ts';
import { minorUnits, roundToMinorUnit } from './money.ts';
import type { AnomalyFinding } from './anomaly.ts';
import type { CurrencyCode, IsoDate } from './types.ts';

export interface LicenceThresholds {
  unassignedDays: number;
  lowUtilisationPercent: Decimal;
  lowUtilisationDays: number;
}

export const DEFAULT_LICENCE_THRESHOLDS: Readonly<LicenceThresholds> = Object.freeze({
  unassignedDays: 30,
  lowUtilisationPercent: new Decimal(10),
  lowUtilisationDays: 7,
});

export interface LicenceSnapshot {
  date: IsoDate;
  /** Seats bought and enabled (`prepaidUnits.enabled`). */
  enabled: number;
  /** Seats assigned to users (`consumedUnits`). */
  consumed: number;
}

export interface LicenceInput {
  skuId: string;
  skuPartNumber: string;
  day: IsoDate;
  /** Snapshots up to and including `day`, any order. */
  snapshots: readonly LicenceSnapshot[];
  /** The SKU's price per seat per month, where the hub knows it. */
  price: { monthlyUnitPrice: Decimal; currency: CurrencyCode } | null;
}

export const MAX_GAP_DAYS = 3;

interface Run {
  from: IsoDate;
  days: number;
  idleSeats: number;
  snapshots: number;
}

/** The run of snapshots ending on `day` that all match, or null when `day`'s does not. */
function runEndingOn(snapshots: readonly LicenceSnapshot[], day: IsoDate, matches: (s: LicenceSnapshot) => boolean): Run | null {
  const sorted = [...snapshots].filter((s) => toDayNumber(s.date) <= toDayNumber(day)).sort((a, b) => toDayNumber(b.date) - toDayNumber(a.date));
  if (sorted[0]?.date !== day) return null;
  let from: LicenceSnapshot | null = null;
  let idleSeats = Number.POSITIVE_INFINITY;
  let count = 0;
  for (const s of sorted) {
    if (!matches(s) || (from && toDayNumber(from.date) - toDayNumber(s.date) > MAX_GAP_DAYS + 1)) break;
    from = s;
    idleSeats = Math.min(idleSeats, s.enabled - s.consumed);
    count++;
  }
  if (!from) return null;
  return { from: from.date, days: toDayNumber(day) - toDayNumber(from.date) + 1, idleSeats: Math.max(0, idleSeats), snapshots: count };
}

/**
 * The licence rules that fire for one SKU of one customer on `day`.
 *
 * @example
 *   licenceAnomalies({ skuId, skuPartNumber: 'SPE_E3', day: '2026-11-30', snapshots, price: { monthlyUnitPrice: new Decimal('36.00'), currency: 'USD' } })
 *   // 20 bought, 15 assigned every day since 2026-10-30: [{ rule: 'unassigned_licences', amountAtStake: 180.00, … }]
 */
export function licenceAnomalies(input: LicenceInput, thresholds: LicenceThresholds = DEFAULT_LICENCE_THRESHOLDS): AnomalyFinding[] {
  const findings: AnomalyFinding[] = [];
  const currency = input.price?.currency ?? 'USD';
  const atStake = (seats: number) => (input.price ? roundToMinorUnit(input.price.monthlyUnitPrice.times(seats), currency, 'half_up') : ZERO);
  const shown = (d: Decimal) => d.toFixed(minorUnits(currency));
  const priceEvidence = {
    monthlyUnitPrice: input.price ? input.price.monthlyUnitPrice.toString() : null,
    priceSource: input.price ? 'licence reconciliation lines' : 'unknown: no licence line for this SKU',
  };

  const unassigned = runEndingOn(input.snapshots, input.day, (s) => s.enabled > 0 && s.enabled > s.consumed);
  if (unassigned && unassigned.days > thresholds.unassignedDays && unassigned.idleSeats > 0) {
    const amount = atStake(unassigned.idleSeats);
    findings.push({
      rule: 'unassigned_licences',
      subject: `${input.skuId}:${unassigned.from}`,
      severity: 'warning',
      observedOn: input.day,
      amountAtStake: amount,
      message: `${unassigned.idleSeats} ${input.skuPartNumber} licence(s) bought but unassigned since ${unassigned.from} (${unassigned.days} days): ${shown(amount)} ${currency} a month`,
      evidence: { skuId: input.skuId, skuPartNumber: input.skuPartNumber, since: unassigned.from, days: unassigned.days, snapshots: unassigned.snapshots, unassignedSeats: unassigned.idleSeats, thresholdDays: thresholds.unassignedDays, ...priceEvidence },
    });
  }

  const below = (s: LicenceSnapshot) => s.enabled > 0 && new Decimal(s.consumed).times(HUNDRED).div(s.enabled).lt(thresholds.lowUtilisationPercent);
  const low = runEndingOn(input.snapshots, input.day, below);
  if (low && low.days >= thresholds.lowUtilisationDays) {
    const today = input.snapshots.find((s) => s.date === input.day) as LicenceSnapshot;
    const percent = new Decimal(today.consumed).times(HUNDRED).div(today.enabled);
    const amount = atStake(low.idleSeats);
    findings.push({
      rule: 'low_utilisation',
      subject: `${input.skuId}:${low.from}`,
      severity: 'critical',
      observedOn: input.day,
      amountAtStake: amount,
      message: `${input.skuPartNumber}: ${today.consumed} of ${today.enabled} licences in use (${percent.toDecimalPlaces(1).toString()} %), under ${thresholds.lowUtilisationPercent.toString()} % since ${low.from}: ${shown(amount)} ${currency} a month idle`,
      evidence: { skuId: input.skuId, skuPartNumber: input.skuPartNumber, since: low.from, days: low.days, snapshots: low.snapshots, enabled: today.enabled, consumed: today.consumed, utilisationPercent: percent.toDecimalPlaces(2).toString(), idleSeats: low.idleSeats, thresholdPercent: thresholds.lowUtilisationPercent.toString(), thresholdDays: thresholds.lowUtilisationDays, ...priceEvidence },
    });
  }
  return findings;
}
