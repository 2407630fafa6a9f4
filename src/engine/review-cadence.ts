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
