import type { Transaction } from 'kysely';
import { findOnboardingTemplate, type OnboardingTemplate } from '../../db/onboarding-templates.ts';
import type { Database } from '../../db/types.ts';
import { addDays } from '../../engine/dates.ts';
import type { QuoteProblem } from '../../mappings/crm/quote-lines.ts';

/** The template a deal chose: the CRM field the connection names and the value it holds. */
export interface OnboardingChoice {
  field: string;
  value: string | null;
}

/**
 * The template a deal's field names (its value trimmed and lower-cased, so "Enterprise"
 * picks `enterprise`); none when the field is empty; a problem naming the field when the
 * value names no template, so the deal becomes an exception rather than half a setup.
 */
export async function chosenTemplate(trx: Transaction<Database>, choice: OnboardingChoice | undefined, problems: QuoteProblem[]): Promise<OnboardingTemplate | null> {
  const key = choice?.value?.trim().toLowerCase() ?? '';
  if (!choice || key === '') return null;
  const template = await findOnboardingTemplate(trx, key);
  if (!template) problems.push({ reason: `${choice.field} "${choice.value}" names no onboarding template (GET /v1/onboarding-templates lists them)` });
  return template;
}

/**
 * Applies a template to the customer of a quote: its cost nodes created top-down under
 * the customer unless they exist (a re-won deal adds only what is missing), its invoice
 * format and review cadence on the customer, and for a trial the spend cap and the
 * conversion date (close date + the trial's days) on the quote.
 */
export async function applyOnboardingTemplate(trx: Transaction<Database>, template: OnboardingTemplate, target: { customerId: string; quoteId: string; startsOn: string }): Promise<void> {
  const ids = new Map<string, string>();
  for (const node of template.costNodes) {
    const name = node.path.at(-1)!;
    const parentId = node.path.length > 1 ? ids.get(JSON.stringify(node.path.slice(0, -1)))! : null;
    const existing = await trx
      .selectFrom('cost_nodes')
      .select('id')
      .where('customer_id', '=', target.customerId)
      .where((eb) => (parentId === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', parentId)))
      .where('name', '=', name)
      .executeTakeFirst();
    const id =
      existing?.id ??
      (await trx.insertInto('cost_nodes').values({ customer_id: target.customerId, parent_id: parentId, name, kind: node.kind }).returning('id').executeTakeFirstOrThrow()).id;
    ids.set(JSON.stringify(node.path), id);
  }
  await trx
    .updateTable('customers')
    .set({ onboarding_template: template.key, invoice_format: template.invoiceFormat, review_cadence: template.reviewCadence })
    .where('id', '=', target.customerId)
    .execute();
  await trx
    .updateTable('quotes')
    .set({
      onboarding_template: template.key,
      trial_spend_cap: template.trial?.spendCap ?? null,
      trial_conversion_date: template.trial ? addDays(target.startsOn, template.trial.days) : null,
    })
    .where('id', '=', target.quoteId)
    .execute();
}
