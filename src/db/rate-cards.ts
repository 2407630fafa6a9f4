import type { Kysely, Selectable } from 'kysely';
import { Decimal } from '../engine/decimal.ts';
import { periodBounds } from '../engine/dates.ts';
import { EngineError } from '../engine/errors.ts';
import type {
  BillingPeriod,
  ChargeCategory,
  FxPolicy,
  FxSource,
  IsoDate,
  MarketRate,
  RateCard,
  RateRule,
  RateRuleMatch,
  RoundingMode,
  RoundingScope,
} from '../engine/types.ts';
import type { Database } from './types.ts';

// Reads rate cards as the billing engine wants them: only approved versions price, a
// customer card's rules sit over its template's, and numerics become Decimal here.

type VersionRow = Selectable<Database['rate_card_versions']>;
type RuleRow = Selectable<Database['rate_card_rules']>;

/** Statuses of versions that price (a superseded version still prices the days before its successor). */
export const PRICING_STATUSES = ['approved', 'superseded'] as const;

/** The engine's RateCard plus where it came from, so a close can freeze and trace it. */
export interface EffectiveRateCard extends RateCard {
  /** rate_card_versions.id of the customer card's version. */
  versionId: string;
  customerId: string | null;
  effectiveFrom: IsoDate;
  /** Last day this version prices (inclusive), or null while no successor is approved. */
  effectiveTo: IsoDate | null;
  /** The template version whose rules the card inherited, and which of `rules` came from it. */
  template: { id: string; version: number; versionId: string; ruleIds: string[] } | null;
}

/** A rule's match as the engine spells it. */
export function ruleMatchOf(row: Pick<RuleRow, 'match_kind' | 'match_value'>): RateRuleMatch {
  switch (row.match_kind) {
    case 'sku':
      return { sku: row.match_value! };
    case 'meterId':
      return { meterId: row.match_value! };
    case 'category':
      return { category: row.match_value as ChargeCategory };
    default:
      return { default: true };
  }
}

/** Two rules claim the same lines when this key is equal (SKU and meter ids compare case-insensitively, as the engine does). */
export function ruleMatchKey(match: RateRuleMatch): string {
  if ('sku' in match) return `sku:${match.sku.toLowerCase()}`;
  if ('meterId' in match) return `meterId:${match.meterId.toLowerCase()}`;
  if ('category' in match) return `category:${match.category}`;
  return 'default';
}

function toRule(row: RuleRow): RateRule {
  const match = ruleMatchOf(row);
  if (row.unit_price !== null) return { id: row.id, match, unitPrice: new Decimal(row.unit_price) };
  return { id: row.id, match, basis: row.basis as 'cost' | 'list', markupPercent: new Decimal(row.markup_percent!) };
}

/** The approved (or since superseded) version of a card that prices `date`, if any. */
export async function versionEffectiveOn(db: Kysely<Database>, rateCardId: string, date: IsoDate): Promise<VersionRow | undefined> {
  return db
    .selectFrom('rate_card_versions')
    .selectAll()
    .where('rate_card_id', '=', rateCardId)
    .where('status', 'in', [...PRICING_STATUSES])
    .where('effective_from', '<=', date)
    .where((eb) => eb.or([eb('effective_to', 'is', null), eb('effective_to', '>=', date)]))
    .orderBy('effective_from', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

async function rulesOf(db: Kysely<Database>, versionId: string): Promise<RuleRow[]> {
  return db.selectFrom('rate_card_rules').selectAll().where('rate_card_version_id', '=', versionId).orderBy('position').execute();
}

/**
 * The customer's rate card as it prices `date`: the approved version effective that day,
 * with the rules of its template's version effective that day merged under its own (on
 * the same match the customer's rule wins). Undefined when the customer has no card or
 * no approved version covers the date — a pending version prices nothing.
 *
 * Throws EngineError('invalid_rate_card') when the template would contribute a fixed
 * unit price in another currency than the card's.
 *
 * @example
 *   const card = await loadEffectiveRateCard(db, customerId, '2026-11-20');
 *   if (card) priceLine(line, card, await loadFxPolicy(db, card, '2026-11'));
 */
export async function loadEffectiveRateCard(db: Kysely<Database>, customerId: string, date: IsoDate): Promise<EffectiveRateCard | undefined> {
  const card = await db.selectFrom('rate_cards').select(['id', 'template_id']).where('customer_id', '=', customerId).executeTakeFirst();
  if (!card) return undefined;
  const own = await versionEffectiveOn(db, card.id, date);
  if (!own) return undefined;
  const rules = (await rulesOf(db, own.id)).map(toRule);

  let template: EffectiveRateCard['template'] = null;
  const inheritedFrom = card.template_id ? await versionEffectiveOn(db, card.template_id, date) : undefined;
  if (inheritedFrom) {
    const claimed = new Set(rules.map((r) => ruleMatchKey(r.match)));
    const inherited = (await rulesOf(db, inheritedFrom.id)).map(toRule).filter((r) => !claimed.has(ruleMatchKey(r.match)));
    const foreignPrice = inherited.find((r) => r.unitPrice != null);
    if (foreignPrice && inheritedFrom.currency !== own.currency) {
      throw new EngineError(
        'invalid_rate_card',
        `Rate card ${card.id} v${own.version} is priced in ${own.currency} but inherits fixed price rule ${foreignPrice.id} in ${inheritedFrom.currency} from template ${card.template_id} v${inheritedFrom.version}`,
        { cardId: card.id, cardVersion: own.version, ruleId: foreignPrice.id },
      );
    }
    rules.push(...inherited);
    template = { id: card.template_id!, version: inheritedFrom.version, versionId: inheritedFrom.id, ruleIds: inherited.map((r) => r.id) };
  }

  return {
    id: card.id,
    version: own.version,
    versionId: own.id,
    customerId,
    currency: own.currency,
    rounding: { scope: own.rounding_scope as RoundingScope, mode: own.rounding_mode as RoundingMode },
    fx: { source: own.fx_source as FxSource },
    minimumMonthly: own.minimum_monthly === null ? null : new Decimal(own.minimum_monthly),
    targetMarginPercent: own.target_margin_percent === null ? null : new Decimal(own.target_margin_percent),
    rules,
    effectiveFrom: own.effective_from,
    effectiveTo: own.effective_to,
    template,
  };
}

/**
 * The fx policy a card prices a billing period with, matching the card's fx source:
 * - microsoft: each line's own PCToBCExchangeRate;
 * - fixed: the rate stored on the card version (from its fx currency to the card's currency);
 * - market: the `market` fx_rates into the card's currency dated within the period, plus
 *   the latest one before it for each pair, so the engine finds the rate on or before every day.
 *
 * @example loadFxPolicy(db, card, '2026-11') // { source: 'market', table: [{ from: 'EUR', to: 'USD', date: '2026-10-31', rate: 1.08 }, ...] }
 */
export async function loadFxPolicy(db: Kysely<Database>, card: Pick<RateCard, 'id' | 'version' | 'currency'>, period: BillingPeriod): Promise<FxPolicy> {
  const version = await db
    .selectFrom('rate_card_versions')
    .select(['id', 'fx_source', 'fx_from_currency', 'fx_rate', 'effective_from'])
    .where('rate_card_id', '=', card.id)
    .where('version', '=', card.version)
    .executeTakeFirst();
  if (!version) throw new EngineError('invalid_rate_card', `Rate card ${card.id} has no version ${card.version}`, { cardId: card.id, cardVersion: card.version });

  if (version.fx_source === 'microsoft') return { source: 'microsoft' };
  if (version.fx_source === 'fixed') {
    return {
      source: 'fixed',
      id: version.id,
      from: version.fx_from_currency!,
      to: card.currency,
      rate: new Decimal(version.fx_rate!),
      date: version.effective_from,
    };
  }

  const { start, end } = periodBounds(period);
  const market = db
    .selectFrom('fx_rates')
    .select(['id', 'from_currency', 'to_currency', 'rate', 'rate_date'])
    .where('source', '=', 'market')
    .where('to_currency', '=', card.currency);
  const within = await market.where('rate_date', '>=', start).where('rate_date', '<=', end).execute();
  const before = await market
    .where('rate_date', '<', start)
    .distinctOn('from_currency')
    .orderBy('from_currency')
    .orderBy('rate_date', 'desc')
    .execute();
  const table: MarketRate[] = [...before, ...within]
    .map((r) => ({ id: r.id, from: r.from_currency, to: r.to_currency, date: r.rate_date, rate: new Decimal(r.rate) }))
    .sort((a, b) => (a.from === b.from ? (a.date < b.date ? -1 : a.date > b.date ? 1 : 0) : a.from < b.from ? -1 : 1));
  return { source: 'market', table };
}
