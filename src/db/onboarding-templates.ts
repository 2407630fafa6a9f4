import type { Kysely, Selectable, Transaction } from 'kysely';
import { writeAudit, type ActorContext } from './audit.ts';
import type { Database, OnboardingTemplatesTable } from './types.ts';

export const INVOICE_FORMATS = ['detailed', 'summary'] as const;
export const REVIEW_CADENCES = ['monthly', 'quarterly', 'semiannual', 'annual'] as const;
export const COST_NODE_KINDS = ['business_unit', 'department', 'project', 'team'] as const;

/** One node of a template's cost-node tree: its path of names from the customer's root down. */
export interface TemplateCostNode {
  path: string[];
  kind: (typeof COST_NODE_KINDS)[number];
}

/** An onboarding template as a won deal applies it. */
export interface OnboardingTemplate {
  key: string;
  name: string;
  costNodes: TemplateCostNode[];
  invoiceFormat: (typeof INVOICE_FORMATS)[number];
  reviewCadence: (typeof REVIEW_CADENCES)[number];
  /** Set for a trial: the spend cap (a decimal string in the deal's currency) and how long the trial runs. */
  trial: { spendCap: string; days: number } | null;
  updatedBy: string;
  updatedAt: Date;
}

function templateOf(row: Selectable<OnboardingTemplatesTable>): OnboardingTemplate {
  return {
    key: row.key,
    name: row.name,
    costNodes: row.cost_nodes as unknown as TemplateCostNode[],
    invoiceFormat: row.invoice_format as OnboardingTemplate['invoiceFormat'],
    reviewCadence: row.review_cadence as OnboardingTemplate['reviewCadence'],
    trial: row.trial_spend_cap !== null && row.trial_days !== null ? { spendCap: row.trial_spend_cap, days: row.trial_days } : null,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

export async function listOnboardingTemplates(db: Kysely<Database>): Promise<OnboardingTemplate[]> {
  const rows = await db.selectFrom('onboarding_templates').selectAll().orderBy('key').execute();
  return rows.map(templateOf);
}

export async function findOnboardingTemplate(db: Kysely<Database>, key: string): Promise<OnboardingTemplate | null> {
  const row = await db.selectFrom('onboarding_templates').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? templateOf(row) : null;
}

export type TemplateInput = Omit<OnboardingTemplate, 'updatedBy' | 'updatedAt'>;

/** Creates or replaces a template, audited with what it was before. */
export async function saveOnboardingTemplate(trx: Transaction<Database>, input: TemplateInput, actor: ActorContext, justification: string): Promise<OnboardingTemplate> {
  const before = await trx.selectFrom('onboarding_templates').selectAll().where('key', '=', input.key).forUpdate().executeTakeFirst();
  const values = {
    name: input.name,
    cost_nodes: JSON.stringify(input.costNodes),
    invoice_format: input.invoiceFormat,
    review_cadence: input.reviewCadence,
    trial_spend_cap: input.trial?.spendCap ?? null,
    trial_days: input.trial?.days ?? null,
    updated_by: actor.actor,
  };
  const row = await trx
    .insertInto('onboarding_templates')
    .values({ key: input.key, ...values })
    .onConflict((oc) => oc.column('key').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  const saved = templateOf(row);
  const view = ({ updatedBy: _by, updatedAt: _at, ...rest }: OnboardingTemplate) => rest;
  await writeAudit(trx, {
    ...actor,
    action: before ? 'onboarding_template.update' : 'onboarding_template.create',
    entity: 'onboarding_template',
    entityId: saved.key,
    before: before ? view(templateOf(before)) : null,
    after: view(saved),
    justification,
  });
  return saved;
}
