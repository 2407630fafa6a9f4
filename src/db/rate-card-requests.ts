import type { Kysely, Selectable, Transaction } from 'kysely';
import { decisionsFor, type Decision } from './approvals.ts';
import { writeAudit, type ActorContext } from './audit.ts';
import { ruleMatchKey, ruleMatchOf, versionEffectiveOn } from './rate-cards.ts';
import type { Database } from './types.ts';
import { Decimal } from '../engine/decimal.ts';
import { MINOR_UNITS } from '../engine/money.ts';
import type { ChargeCategory, RateRuleMatch } from '../engine/types.ts';

// Requesting rate card versions: the one write path for the API and for integrations
// (a won CRM deal), so every version is validated, numbered, audited and left pending
// for the same dual approval, whoever asked for it.

/** The roles whose approvals a version needs, one each. */
export const APPROVER_ROLES = ['sales_ops', 'finance'] as const;
export const RATE_CARD_ENTITY = 'rate_card';
const ENTITY = RATE_CARD_ENTITY;

export interface RuleMatchInput {
  sku?: string;
  meterId?: string;
  category?: ChargeCategory;
  default?: true;
}

export interface RuleInput {
  match: RuleMatchInput;
  basis?: 'cost' | 'list';
  markupPercent?: string;
  unitPrice?: string;
}

/** A version as requested (the API body, or what an integration derives). */
export interface VersionInput {
  currency: string;
  rounding?: { scope: 'line' | 'invoice'; mode: 'half_up' | 'half_even' };
  fx?: { source: 'microsoft' | 'market' | 'fixed'; rate?: string; from?: string };
  minimumMonthly?: string;
  targetMarginPercent?: string;
  effectiveFrom?: string;
  justification?: string;
  rules: RuleInput[];
}

/** Where validation problems go, each naming its field. */
export interface ProblemSink {
  add(field: string, reason: string): void;
}

export interface RateCardVersionView {
  versionId: string;
  version: number;
  status: 'pending' | 'approved' | 'rejected' | 'superseded';
  effectiveFrom: string;
  effectiveTo: string | null;
  currency: string;
  rounding: { scope: 'line' | 'invoice'; mode: 'half_up' | 'half_even' };
  fx: { source: string; rate: string | null; from: string | null };
  minimumMonthly: string | null;
  targetMarginPercent: string | null;
  justification: string | null;
  requestedBy: string;
  requestedAt: string;
  decidedAt: string | null;
  rules: { id: string; position: number; match: RuleMatchInput; basis: 'cost' | 'list' | null; markupPercent: string | null; unitPrice: string | null }[];
  approvals: { role: string; decision: 'approve' | 'reject'; actor: string; comment: string | null; createdAt: string }[];
  awaiting: (typeof APPROVER_ROLES)[number][];
}

export interface RateCardCardView {
  id: string;
  name: string;
  customerId: string | null;
  template: boolean;
  templateId: string | null;
}

type VersionView = RateCardVersionView;
type Db = Kysely<Database>;
type CardRow = Selectable<Database['rate_cards']>;
type VersionRow = Selectable<Database['rate_card_versions']>;
type RuleRow = Selectable<Database['rate_card_rules']>;

export function toVersionView(row: VersionRow, rules: RuleRow[], decisions: Decision[]): VersionView {
  const approvedRoles = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.role));
  return {
    versionId: row.id,
    version: row.version,
    status: row.status as VersionView['status'],
    effectiveFrom: row.effective_from,
    effectiveTo: row.effective_to,
    currency: row.currency,
    rounding: { scope: row.rounding_scope as 'line' | 'invoice', mode: row.rounding_mode as 'half_up' | 'half_even' },
    fx: { source: row.fx_source, rate: row.fx_rate, from: row.fx_from_currency },
    minimumMonthly: row.minimum_monthly,
    targetMarginPercent: row.target_margin_percent,
    justification: row.justification,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
    rules: rules.map((r) => ({
      id: r.id,
      position: r.position,
      match: ruleMatchOf(r),
      basis: r.basis as 'cost' | 'list' | null,
      markupPercent: r.markup_percent,
      unitPrice: r.unit_price,
    })),
    approvals: decisions.map((d) => ({ role: d.role, decision: d.decision, actor: `key:${d.apiKeyId}`, comment: d.comment, createdAt: d.createdAt.toISOString() })),
    awaiting: row.status === 'pending' ? APPROVER_ROLES.filter((role) => !approvedRoles.has(role)) : [],
  };
}

export function cardView(card: CardRow): RateCardCardView {
  return { id: card.id, name: card.name, customerId: card.customer_id, template: card.is_template, templateId: card.template_id };
}

interface LoadedCard {
  card: CardRow;
  versions: VersionView[];
}

/** A card with every version, its rules and its decisions; undefined when there is no such card. */
export async function loadCard(db: Db, id: string, onlyVersion?: number): Promise<LoadedCard | undefined> {
  const card = await db.selectFrom('rate_cards').selectAll().where('id', '=', id).executeTakeFirst();
  if (!card) return undefined;
  let versionQuery = db.selectFrom('rate_card_versions').selectAll().where('rate_card_id', '=', id);
  if (onlyVersion !== undefined) versionQuery = versionQuery.where('version', '=', onlyVersion);
  const versions = await versionQuery.orderBy('version').execute();
  const rules = versions.length
    ? await db.selectFrom('rate_card_rules').selectAll().where('rate_card_version_id', 'in', versions.map((v) => v.id)).orderBy('position').execute()
    : [];
  const decisions = await decisionsFor(db, ENTITY, id);
  return {
    card,
    versions: versions.map((v) => toVersionView(v, rules.filter((r) => r.rate_card_version_id === v.id), decisions.get(v.version) ?? [])),
  };
}

export async function loadVersion(db: Db, cardId: string, version: number): Promise<(RateCardCardView & RateCardVersionView) | undefined> {
  const loaded = await loadCard(db, cardId, version);
  const view = loaded?.versions[0];
  return loaded && view ? { ...cardView(loaded.card), ...view } : undefined;
}

export function engineMatch(match: RuleMatchInput): RateRuleMatch {
  if (match.sku !== undefined) return { sku: match.sku };
  if (match.meterId !== undefined) return { meterId: match.meterId };
  if (match.category !== undefined) return { category: match.category };
  return { default: true };
}

/** How a match is stored: its kind and the value it compares (none for the default rule). */
function matchColumns(match: RateRuleMatch): { match_kind: string; match_value: string | null } {
  if ('sku' in match) return { match_kind: 'sku', match_value: match.sku };
  if ('meterId' in match) return { match_kind: 'meterId', match_value: match.meterId };
  if ('category' in match) return { match_kind: 'category', match_value: match.category };
  return { match_kind: 'default', match_value: null };
}

/** Checks the schema cannot express: pricing fields that go together, ranges, duplicate matches. */
export function checkVersion(input: VersionInput, problems: ProblemSink, options: { inherits: boolean }): void {
  const places = MINOR_UNITS[input.currency];
  if (places === undefined) problems.add('currency', `${input.currency} has no ISO 4217 minor unit the engine knows, so prices in it cannot be rounded`);

  const fx = input.fx ?? { source: 'microsoft' };
  if (fx.source === 'fixed') {
    if (fx.rate === undefined) problems.add('fx.rate', 'is required when fx.source is fixed');
    else if (new Decimal(fx.rate).isZero()) problems.add('fx.rate', 'must be more than 0');
    if (fx.from === undefined) problems.add('fx.from', 'is required when fx.source is fixed: the currency the rate converts into the card currency');
    else if (fx.from === input.currency) problems.add('fx.from', 'must differ from the card currency');
  } else {
    if (fx.rate !== undefined) problems.add('fx.rate', 'is only allowed when fx.source is fixed');
    if (fx.from !== undefined) problems.add('fx.from', 'is only allowed when fx.source is fixed');
  }

  if (input.minimumMonthly !== undefined && places !== undefined && new Decimal(input.minimumMonthly).decimalPlaces() > places) {
    problems.add('minimumMonthly', `must be in whole ${input.currency} minor units (${places} decimals)`);
  }
  if (input.targetMarginPercent !== undefined && new Decimal(input.targetMarginPercent).greaterThanOrEqualTo(100)) {
    problems.add('targetMarginPercent', 'must be below 100');
  }

  if (input.rules.length === 0 && !options.inherits) problems.add('rules', 'needs at least one rule (only a card with a template may have none of its own)');
  const seen = new Map<string, number>();
  input.rules.forEach((rule, i) => {
    const at = `rules.${i}`;
    if (rule.markupPercent !== undefined && rule.unitPrice !== undefined) {
      problems.add(`${at}.unitPrice`, 'a rule has either markupPercent or unitPrice, not both');
    } else if (rule.markupPercent === undefined && rule.unitPrice === undefined) {
      problems.add(`${at}.markupPercent`, 'a rule needs markupPercent (with basis) or unitPrice');
    } else if (rule.markupPercent !== undefined) {
      if (rule.basis === undefined) problems.add(`${at}.basis`, 'is required with markupPercent: cost or list');
      if (new Decimal(rule.markupPercent).lessThan(-100)) problems.add(`${at}.markupPercent`, 'must be -100 or more: a price cannot go below zero');
    } else if (rule.basis !== undefined) {
      problems.add(`${at}.basis`, 'a fixed unitPrice has no basis');
    }
    const key = ruleMatchKey(engineMatch(rule.match));
    const first = seen.get(key);
    if (first !== undefined) problems.add(`${at}.match`, `matches the same lines as rules.${first}.match`);
    else seen.set(key, i);
  });
}

/** A card inheriting a template's fixed prices must price in the template's currency. */
export async function checkTemplateCurrency(db: Db, templateId: string, currency: string, problems: ProblemSink, today: string): Promise<void> {
  const current = await versionEffectiveOn(db, templateId, today);
  if (current && current.currency !== currency) {
    problems.add('currency', `must be ${current.currency}, the currency of template ${templateId} v${current.version} whose rules this card inherits`);
  }
}

async function insertVersion(trx: Transaction<Database>, cardId: string, version: number, input: VersionInput, requestedBy: string, today: string): Promise<void> {
  const fx = input.fx ?? { source: 'microsoft' as const };
  const rounding = input.rounding ?? { scope: 'invoice' as const, mode: 'half_up' as const };
  const row = await trx
    .insertInto('rate_card_versions')
    .values({
      rate_card_id: cardId,
      version,
      effective_from: input.effectiveFrom ?? today,
      currency: input.currency,
      rounding_scope: rounding.scope,
      rounding_mode: rounding.mode,
      fx_source: fx.source,
      fx_from_currency: fx.source === 'fixed' ? fx.from! : null,
      fx_rate: fx.source === 'fixed' ? fx.rate! : null,
      minimum_monthly: input.minimumMonthly ?? null,
      target_margin_percent: input.targetMarginPercent ?? null,
      requested_by: requestedBy,
      justification: input.justification?.trim() || null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (input.rules.length === 0) return;
  await trx
    .insertInto('rate_card_rules')
    .values(
      input.rules.map((rule, position) => ({
        rate_card_version_id: row.id,
        position,
        ...matchColumns(engineMatch(rule.match)),
        basis: rule.markupPercent !== undefined ? rule.basis! : null,
        markup_percent: rule.markupPercent ?? null,
        unit_price: rule.unitPrice ?? null,
      })),
    )
    .execute();
}

/** The version a new request would replace: the one approved most recently, if any (the audit's "before"). */
async function latestApproved(db: Db, cardId: string): Promise<(RateCardCardView & RateCardVersionView) | undefined> {
  const row = await db
    .selectFrom('rate_card_versions')
    .select('version')
    .where('rate_card_id', '=', cardId)
    .where('status', '=', 'approved')
    .orderBy('decided_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? loadVersion(db, cardId, row.version) : undefined;
}

/**
 * Adds the next version of a card, pending, requested by `actor`, and audits it. The
 * caller validates first (checkVersion) and holds the card's row lock, which serialises
 * version numbers.
 */
export async function requestVersion(
  trx: Transaction<Database>,
  card: CardRow,
  input: VersionInput,
  actor: ActorContext,
  today: string,
): Promise<RateCardCardView & RateCardVersionView> {
  const last = await trx.selectFrom('rate_card_versions').select(({ fn }) => fn.max('version').as('v')).where('rate_card_id', '=', card.id).executeTakeFirst();
  const version = (last?.v ?? 0) + 1;
  const before = await latestApproved(trx, card.id);
  await insertVersion(trx, card.id, version, input, actor.actor, today);
  const after = (await loadVersion(trx, card.id, version))!;
  await writeAudit(trx, {
    ...actor,
    action: 'rate_card.version.request',
    entity: ENTITY,
    entityId: card.id,
    before: before ?? null,
    after,
    justification: after.justification,
  });
  return after;
}


/** A new card (a customer's or a template), audited; its first version comes from requestVersion. */
export async function createCard(
  trx: Transaction<Database>,
  card: { name: string; customerId: string | null; template: boolean; templateId: string | null },
  actor: ActorContext,
): Promise<CardRow> {
  const row = await trx
    .insertInto('rate_cards')
    .values({ name: card.name.trim(), customer_id: card.customerId, is_template: card.template, template_id: card.templateId, created_by: actor.actor })
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeAudit(trx, { ...actor, action: 'rate_card.create', entity: ENTITY, entityId: row.id, after: cardView(row) });
  return row;
}
