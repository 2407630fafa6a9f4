import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { canonicalJson, writeAudit, type ActorContext } from '../../db/audit.ts';
import { loadCategoryMapping } from '../../db/charge-categories.ts';
import { dealRow, insertQuote, recordQuoteException, resolveQuoteExceptions } from '../../db/quotes.ts';
import { checkTemplateCurrency, checkVersion, createCard, engineMatch, requestVersion, type ProblemSink, type RuleInput, type VersionInput } from '../../db/rate-card-requests.ts';
import { ruleMatchKey, ruleMatchOf } from '../../db/rate-cards.ts';
import type { Database } from '../../db/types.ts';
import { todayIn } from '../../engine/dates.ts';
import { Decimal } from '../../engine/decimal.ts';
import { MINOR_UNITS } from '../../engine/money.ts';
import { azureMonthlyBudget, expectedSeats, mapLineDrafts, quoteRules, type LineDraft, type LineFieldNames, type QuoteProblem } from '../../mappings/crm/quote-lines.ts';
import { matchAccountCustomer, type CrmAccount } from './customer-match.ts';
import { applyOnboardingTemplate, chosenTemplate, type OnboardingChoice } from './onboarding.ts';
import { QuoteRefused } from './quote-refused.ts';

/** A won deal as every CRM's job hands it over, after re-reading it from the CRM. */
export interface WonDeal {
  /** The CRM's system name in the identity map: hubspot, salesforce. */
  system: string;
  connectionId: string;
  dealId: string;
  /** How a person names it: "HubSpot deal 9001", "Salesforce opportunity 006…". */
  label: string;
  dealName: string;
  closedAt: string | null;
  currency: string | null;
  /** The CRM field the currency came from, for the reason when it is unusable. */
  currencyField: string;
  account: CrmAccount | null;
  lines: LineDraft[];
  lineFields: LineFieldNames;
  /** The connection's field mapping of the deal, for CRMs whose mapping is data (none: the fields above as they are). */
  mapping?: DealMapping;
  /** The deal field naming its onboarding template, when the connection names one. */
  onboarding?: OnboardingChoice;
  /** The line mapping version that made `lines` (none: the CRM's lines map in code) and the lines it could not map. */
  lineMapping?: { version: number; problems: QuoteProblem[] };
}

/** What the mapped lines add up to, offered to a deal mapping. */
export interface LineTotals {
  monthlyTotal: Decimal;
  azureMonthlyAmount: Decimal;
}

/** A deal's field mapping in force, applied once its lines are mapped (it may read their totals). */
export interface DealMapping {
  /** The version in force; 0 is the connector's built-in default. */
  version: number;
  /** What the mapping may read beyond the neutral fingerprint (a changed mapping re-reads more); counted from version 1 on. */
  read: unknown;
  /** Set when the mapping failed its check: the deal becomes an exception naming the rules. */
  refused?: QuoteProblem[];
  apply(totals: LineTotals): MappedDeal;
}

/** The quote fields a deal mapping produced; a total the mapping leaves unset is the lines' total. */
export interface MappedDeal {
  currency: string;
  closedAt: Date | null;
  monthlyTotal?: Decimal;
  azureMonthlyBudget?: Decimal;
  problems: QuoteProblem[];
  /** The record the mapping read, kept on the quote so a draft mapping can be previewed against real deals. */
  source: unknown;
}

export type QuoteToCashOutcome =
  | { outcome: 'not-won' }
  | { outcome: 'unchanged'; revision: number }
  | { outcome: 'quoted'; revision: number; quoteId: string; customerId: string; rateCardId: string; rateCardVersion: number; mappingVersion: number }
  | { outcome: 'exception'; exceptionId: string };

/**
 * A won deal becomes the customer's billing setup, in one transaction: the customer
 * through the identity map, the quote revision with its lines and expected baseline, and
 * a pending rate card version with the quote's prices, requested by the integration so
 * the usual dual approval applies. A deal that cannot be mapped writes nothing of that
 * and lands in the exceptions list instead.
 *
 * Idempotent: a won state already recorded (same close date, currency, account and
 * lines) is the same revision; a different one (a re-win after reopening) is the next.
 */
export async function recordWonDeal(ctx: HubContext, won: WonDeal): Promise<QuoteToCashOutcome> {
  const actor: ActorContext = { actor: `system:${won.system}-quote-to-cash` };
  const fingerprint = fingerprintOf(won);
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const deal = await dealRow(trx, won.system, won.dealId, won.connectionId, won.dealName);
      const known = await trx.selectFrom('quotes').select('revision').where('deal_id', '=', deal.id).where('fingerprint', '=', fingerprint).executeTakeFirst();
      if (known) return { outcome: 'unchanged', revision: known.revision } as const;
      if (won.mapping?.refused) throw new QuoteRefused('invalid mapping', won.mapping.refused);
      return await recordQuote(trx, ctx, won, actor, { dealRowId: deal.id, revision: deal.latest_revision + 1, fingerprint });
    });
  } catch (error) {
    if (!(error instanceof QuoteRefused)) throw error;
    const exceptionId = await ctx.db.transaction().execute(async (trx) => {
      const deal = await dealRow(trx, won.system, won.dealId, won.connectionId, won.dealName);
      const id = await recordQuoteException(trx, deal.id, error.message, error.problems);
      await writeAudit(trx, { ...actor, action: 'quote.exception', entity: 'deal', entityId: deal.id, after: { reason: error.message, problems: error.problems } });
      return id;
    });
    return { outcome: 'exception', exceptionId };
  }
}

interface Revision {
  dealRowId: string;
  revision: number;
  fingerprint: string;
}

async function recordQuote(trx: Transaction<Database>, ctx: HubContext, won: WonDeal, actor: ActorContext, q: Revision): Promise<QuoteToCashOutcome> {
  const categories = await loadCategoryMapping(trx);
  const mapped = mapLineDrafts(won.lines, { sku: categories.sku, licenseLines: categories.defaults.licenseLines ?? 'licenses' }, won.lineFields);
  const priced = quoteRules(mapped.lines);
  const totals: LineTotals = { monthlyTotal: mapped.lines.reduce((sum, l) => sum.plus(l.monthlyAmount), new Decimal(0)), azureMonthlyAmount: azureMonthlyBudget(mapped.lines) };
  const deal = won.mapping?.apply(totals);
  const currency = deal ? deal.currency : (won.currency?.trim().toUpperCase() ?? '');
  const problems: QuoteProblem[] = [];
  if (MINOR_UNITS[currency] === undefined) problems.push({ reason: `${won.currencyField} "${currency}" is not an ISO 4217 currency the hub can bill in` });
  if (!won.account) problems.push({ reason: 'the deal has no associated company or account, so no customer can be found or created' });
  if (won.lines.length === 0 && !won.lineMapping?.problems.length) problems.push({ reason: 'the deal has no line items' });
  problems.push(...(deal?.problems ?? []), ...(won.lineMapping?.problems ?? []), ...mapped.problems, ...priced.problems);
  const template = await chosenTemplate(trx, won.onboarding, problems);
  if (problems.length > 0) throw new QuoteRefused('unmappable deal', problems);
  const mappingVersion = won.mapping?.version ?? 0;

  const customerId = await matchAccountCustomer(trx, won.account!, currency, actor);
  const customer = await trx.selectFrom('customers').select('name').where('id', '=', customerId).executeTakeFirstOrThrow();
  const today = todayIn(ctx.config.billingTimeZone);
  const card =
    (await trx.selectFrom('rate_cards').selectAll().where('customer_id', '=', customerId).forUpdate().executeTakeFirst()) ??
    (await createCard(trx, { name: customer.name, customerId, template: false, templateId: null }, actor));
  const input: VersionInput = {
    currency,
    justification: `${won.label} (${won.dealName}) won: quote revision ${q.revision}`,
    rules: await withEarlierRules(trx, card.id, currency, priced.rules),
  };
  const sink = new Problems();
  if (card.template_id) await checkTemplateCurrency(trx, card.template_id, currency, sink, today);
  checkVersion(input, sink, { inherits: card.template_id !== null });
  if (sink.problems.length > 0) throw new QuoteRefused('rate card refused', sink.problems);
  const version = await requestVersion(trx, card, input, actor, today);
  const closedAt = deal ? deal.closedAt : won.closedAt ? new Date(won.closedAt) : null;

  const quoteId = await insertQuote(trx, {
    dealId: q.dealRowId,
    revision: q.revision,
    customerId,
    currency,
    closedAt,
    lines: mapped.lines,
    monthlyTotal: deal?.monthlyTotal ?? totals.monthlyTotal,
    azureMonthlyBudget: deal?.azureMonthlyBudget ?? totals.azureMonthlyAmount,
    mappingVersion,
    mappingSource: deal?.source ?? null,
    lineMappingVersion: won.lineMapping?.version ?? 0,
    expectedSeats: expectedSeats(mapped.lines),
    rateCardId: card.id,
    rateCardVersion: version.version,
    fingerprint: q.fingerprint,
    createdBy: actor.actor,
  });
  if (template) await applyOnboardingTemplate(trx, template, { customerId, quoteId, startsOn: closedAt ? todayIn(ctx.config.billingTimeZone, closedAt) : today });
  await trx.updateTable('deals').set({ latest_revision: q.revision, customer_id: customerId, name: won.dealName }).where('id', '=', q.dealRowId).execute();
  await resolveQuoteExceptions(trx, q.dealRowId);
  await writeAudit(trx, {
    ...actor,
    action: 'quote.create',
    entity: 'deal',
    entityId: q.dealRowId,
    after: { quoteId, revision: q.revision, customerId, rateCardId: card.id, rateCardVersion: version.version, mappingVersion, lineMappingVersion: won.lineMapping?.version ?? 0, onboardingTemplate: template?.key ?? null },
    justification: input.justification,
  });
  return { outcome: 'quoted', revision: q.revision, quoteId, customerId, rateCardId: card.id, rateCardVersion: version.version, mappingVersion };
}

/**
 * The quote's rules over the rules of the card's latest approved version in the same
 * currency: what the deal did not quote keeps its current price.
 */
async function withEarlierRules(trx: Transaction<Database>, cardId: string, currency: string, quoted: RuleInput[]): Promise<RuleInput[]> {
  const latest = await trx
    .selectFrom('rate_card_versions')
    .select('id')
    .where('rate_card_id', '=', cardId)
    .where('status', '=', 'approved')
    .where('currency', '=', currency)
    .orderBy('decided_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!latest) return quoted;
  const claimed = new Set(quoted.map((r) => ruleMatchKey(engineMatch(r.match))));
  const earlier = await trx.selectFrom('rate_card_rules').selectAll().where('rate_card_version_id', '=', latest.id).orderBy('position').execute();
  const kept = earlier
    .filter((row) => !claimed.has(ruleMatchKey(ruleMatchOf(row))))
    .map(
      (row): RuleInput => ({
        match: ruleMatchOf(row),
        ...(row.unit_price !== null ? { unitPrice: row.unit_price } : { basis: row.basis as 'cost' | 'list', markupPercent: row.markup_percent! }),
      }),
    );
  return [...quoted, ...kept];
}

class Problems implements ProblemSink {
  readonly problems: QuoteProblem[] = [];
  add(field: string, reason: string): void {
    this.problems.push({ reason: `rate card ${field}: ${reason}` });
  }
}

/**
 * What makes a won state distinct: the close date, currency, account (and its tenant id),
 * every line's values, the onboarding template field when one is named, and from mapping version 1 on the version and what it may read (a
 * changed mapping is a new revision, since the quote it makes may differ).
 */
function fingerprintOf(won: WonDeal): string {
  const mapping = won.mapping && won.mapping.version > 0 ? { mappingVersion: won.mapping.version, read: won.mapping.read } : {};
  // Only when a connection names a template field, so fingerprints of deals without one stay as they were.
  const onboarding = won.onboarding ? { onboarding: won.onboarding.value } : {};
  return createHash('sha256')
    .update(
      canonicalJson({
        ...mapping,
        ...onboarding,
        closedAt: won.closedAt,
        currency: won.currency,
        account: won.account ? { id: won.account.id, tenantId: won.account.tenantId } : null,
        lines: won.lines.map(({ source: _source, ...values }) => values),
      }),
    )
    .digest('hex');
}
