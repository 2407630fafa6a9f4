import { addMonthsClamped } from './dates.ts';
import type { IsoDate } from './types.ts';

export type ReviewCadence = 'monthly' | 'quarterly' | 'semiannual' | 'annual';

export const CADENCE_MONTHS: Readonly<Record<ReviewCadence, number>> = { monthly: 1, quarterly: 3, semiannual: 6, annual: 12 };

/**
 * The first review due on or after `today`: the onboarding date plus whole cadence
 * periods, each counted from the onboarding date (so a review on the 31st stays on the
 * month's last day instead of drifting to the 28th after February).
 *
 * @example nextReviewDue('2026-01-31', 'quarterly', '2026-05-01') // '2026-07-31'
 */
export function nextReviewDue(onboardedOn: IsoDate, cadence: ReviewCadence, today: IsoDate): IsoDate {
  const step = CADENCE_MONTHS[cadence];
  for (let n = 1; ; n++) {
    const due = addMonthsClamped(onboardedOn, n * step);
    if (due >= today) return due;
  }
}

/**
 * The review due after the one held (or, before the first review, after onboarding) on
 * `since`: one cadence later, on the same day of the month or the month's last day.
 *
 * @example reviewDueAfter('2026-11-30', 'quarterly') // '2027-02-28'
 */
export function reviewDueAfter(since: IsoDate, cadence: ReviewCadence): IsoDate {
  return addMonthsClamped(since, CADENCE_MONTHS[cadence]);
}
