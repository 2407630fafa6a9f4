import type { HubContext } from '../../context.ts';
import { raiseReviewReminders, raiseTrialConversionReminders, raiseTrialSpendCapAlerts } from '../../db/onboarding-alerts.ts';
import { todayIn } from '../../engine/dates.ts';

export const ONBOARDING_CHECK_TASK = 'crm:onboarding_check';

export interface OnboardingCheckPayload {
  /** YYYY-MM-DD; without it, today in the billing time zone. */
  today?: string | null;
}

/** `crm:onboarding_check` (daily): review reminders, trial spend caps and trial conversions. */
export async function checkOnboarding(payload: OnboardingCheckPayload, ctx: HubContext): Promise<{ today: string; reviews: number; spendCaps: number; conversions: number }> {
  const timeZone = ctx.config.billingTimeZone;
  const today = payload.today ?? todayIn(timeZone);
  return {
    today,
    reviews: await raiseReviewReminders(ctx.db, { timeZone, today }),
    spendCaps: await raiseTrialSpendCapAlerts(ctx.db, { timeZone }),
    conversions: await raiseTrialConversionReminders(ctx.db, { timeZone, today }),
  };
}
