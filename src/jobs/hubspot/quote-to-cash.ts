import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { DealSnapshot } from '../../connectors/hubspot/client.ts';
import { canonicalJson, writeAudit, type ActorContext } from '../../db/audit.ts';
import { loadCategoryMapping } from '../../db/charge-categories.ts';
import { dealRow, insertQuote, recordQuoteException, resolveQuoteExceptions } from '../../db/quotes.ts';
import { checkTemplateCurrency, checkVersion, createCard, engineMatch, requestVersion, type ProblemSink, type RuleInput, type VersionInput } from '../../db/rate-card-requests.ts';
import { ruleMatchKey, ruleMatchOf } from '../../db/rate-cards.ts';
import type { Database } from '../../db/types.ts';
import { Decimal } from '../../engine/decimal.ts';
import { MINOR_UNITS } from '../../engine/money.ts';
import { azureMonthlyBudget, expectedSeats, mapQuoteLines, quoteRules, type QuoteProblem } from '../../mappings/hubspot/quote-lines.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import { checkedRules, MappingRefused } from '../../mappings/checked.ts';
import { applyMapping } from '../../mappings/engine/apply.ts';
import type { CheckedMapping } from '../../mappings/engine/validate.ts';
import { propertiesRead } from '../../mappings/hubspot/deal-mapping.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { todayIn } from '../../server/wire-types.ts';
import { hubspotClientFor } from './client-for-connection.ts';
import { HUBSPOT, matchDealCustomer } from './customer-match.ts';
import { QuoteRefused } from './quote-refused.ts';

export interface QuoteToCashPayload {
  connectionId: string;
  dealId: string;
}

export type QuoteToCashOutcome =
  | { outcome: 'not-won' }
  | { outcome: 'unchanged'; revision: number }
  | { outcome: 'quoted'; revision: number; quoteId: string; customerId: string; rateCardId: string; rateCardVersion: number; mappingVersion: number }
  | { outcome: 'exception'; exceptionId: string };

const ACTOR: ActorContext = { actor: 'system:hubspot-quote-to-cash' };
const DEAL_OBJECT = mappingObject('hubspot', 'deal')!;

/** One job per deal: every trigger for a deal collapses into the pending one. */
export const quoteToCashJobKey = (dealId: string) => `hubspot:deal:${dealId}`;

/**
 * A won HubSpot deal becomes the customer's billing setup. The deal, its line items and
 * company are re-read from HubSpot (the webhook only says something changed); then, in
 * one transaction: the customer through the identity map, the quote revision with its
 * lines and expected baseline, and a pending rate card version with the quote's prices,
 * requested by the integration so the usual dual approval applies. A deal that cannot be
 * mapped writes nothing of that and lands in the exceptions list instead.
 *
 * Idempotent: a won state already recorded (same close date, company and lines) is the
 * same revision; a different one (a re-win after reopening) is the next revision.
 */
export async function quoteToCash(payload: QuoteToCashPayload, ctx: HubContext): Promise<QuoteToCashOutcome> {
  const { client, tenantIdProperty } = await hubspotClientFor(ctx, payload.connectionId, (status, waitMs) =>
    ctx.logger.info({ dealId: payload.dealId, status, waitMs }, 'HubSpot call retried'),
  );
  const mapping = await mappingInForce(ctx.db, payload.connectionId, DEAL_OBJECT.object, DEAL_OBJECT.defaultRules);
  let checked: CheckedMapping | MappingRefused;
  try {
    checked = checkedRules(DEAL_OBJECT, mapping.rules);
  } catch (error) {
    if (!(error instanceof MappingRefused)) throw error;
    checked = error;
  }
  const snapshot = await client.readDeal(payload.dealId, checked instanceof MappingRefused ? {} : propertiesRead(checked.specs.keys()));
  if (snapshot.deal.properties.hs_is_closed_won !== 'true') return { outcome: 'not-won' };
  const fingerprint = fingerprintOf(snapshot, tenantIdProperty, mapping.version);
  const dealName = snapshot.deal.properties.dealname?.trim() || `HubSpot deal ${payload.dealId}`;
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const deal = await dealRow(trx, HUBSPOT, payload.dealId, payload.connectionId, dealName);
      const known = await trx.selectFrom('quotes').select('revision').where('deal_id', '=', deal.id).where('fingerprint', '=', fingerprint).executeTakeFirst();
      if (known) return { outcome: 'unchanged', revision: known.revision } as const;
      if (checked instanceof MappingRefused) throw new QuoteRefused('invalid mapping', checked.problems.map((p) => ({ reason: `mapping v${mapping.version} rule ${p.rule} ${p.field}: ${p.reason}` })));
      return await recordQuote(trx, ctx, snapshot, {
        dealRowId: deal.id,
        revision: deal.latest_revision + 1,
        fingerprint,
        dealName,
        tenantIdProperty,
        mapping: { version: mapping.version, checked },
      });
    });
  } catch (error) {
    if (!(error instanceof QuoteRefused)) throw error;
    const exceptionId = await ctx.db.transaction().execute(async (trx) => {
      const deal = await dealRow(trx, HUBSPOT, payload.dealId, payload.connectionId, dealName);
      const id = await recordQuoteException(trx, deal.id, error.message, error.problems);
      await writeAudit(trx, { ...ACTOR, action: 'quote.exception', entity: 'deal', entityId: deal.id, after: { reason: error.message, problems: error.problems } });
      return id;
    });
    return { outcome: 'exception', exceptionId };
  }
}

interface QuoteContext {
  dealRowId: string;
  revision: number;
  fingerprint: string;
  dealName: string;
  tenantIdProperty: string;
  mapping: { version: number; checked: CheckedMapping };
}

async function recordQuote(trx: Transaction<Database>, ctx: HubContext, snapshot: DealSnapshot, q: QuoteContext): Promise<QuoteToCashOutcome> {
  const categories = await loadCategoryMapping(trx);
  const mapped = mapQuoteLines(snapshot.lineItems, { sku: categories.sku, licenseLines: categories.defaults.licenseLines ?? 'licenses' });
  const priced = quoteRules(mapped.lines);
  const linesTotal = mapped.lines.reduce((sum, l) => sum.plus(l.monthlyAmount), new Decimal(0));
  const source = {
    deal: snapshot.deal,
    company: snapshot.company,
    lines: { monthlyTotal: linesTotal.toString(), azureMonthlyAmount: azureMonthlyBudget(mapped.lines).toString() },
  };
  const quote = applyMapping(q.mapping.checked, DEAL_OBJECT.source, DEAL_OBJECT.target, source);
  const currency = String(quote.values.get('quote.currency') ?? '');
  const problems: QuoteProblem[] = [];
  if (MINOR_UNITS[currency] === undefined) problems.push({ reason: `deal_currency_code "${currency}" is not an ISO 4217 currency the hub can bill in` });
  if (!snapshot.company) problems.push({ reason: 'the deal has no associated company, so no customer can be found or created' });
  if (snapshot.lineItems.length === 0) problems.push({ reason: 'the deal has no line items' });
  problems.push(...quote.problems.map((p) => ({ reason: `mapping v${q.mapping.version} rule ${p.rule} (${p.field}): ${p.reason}` })));
  problems.push(...mapped.problems, ...priced.problems);
  if (problems.length > 0) throw new QuoteRefused('unmappable deal', problems);
  const mappedDecimal = (path: string, otherwise: Decimal) => {
    const value = quote.values.get(path);
    return value instanceof Decimal ? value : otherwise;
  };

  const customerId = await matchDealCustomer(trx, snapshot.company!, q.tenantIdProperty, currency, ACTOR);
  const customer = await trx.selectFrom('customers').select('name').where('id', '=', customerId).executeTakeFirstOrThrow();
  const today = todayIn(ctx.config.billingTimeZone);
  const card =
    (await trx.selectFrom('rate_cards').selectAll().where('customer_id', '=', customerId).forUpdate().executeTakeFirst()) ??
    (await createCard(trx, { name: customer.name, customerId, template: false, templateId: null }, ACTOR));
  const input: VersionInput = {
    currency,
    justification: `HubSpot deal ${snapshot.deal.id} (${q.dealName}) won: quote revision ${q.revision}`,
    rules: await withEarlierRules(trx, card.id, currency, priced.rules),
  };
  const sink = new Problems();
  if (card.template_id) await checkTemplateCurrency(trx, card.template_id, currency, sink, today);
  checkVersion(input, sink, { inherits: card.template_id !== null });
  if (sink.problems.length > 0) throw new QuoteRefused('rate card refused', sink.problems);
  const version = await requestVersion(trx, card, input, ACTOR, today);

  const closedAt = quote.values.get('quote.closedAt');
  const quoteId = await insertQuote(trx, {
    dealId: q.dealRowId,
    revision: q.revision,
    customerId,
    currency,
    closedAt: closedAt instanceof Date ? closedAt : null,
    lines: mapped.lines,
    monthlyTotal: mappedDecimal('quote.monthlyTotal', linesTotal),
    azureMonthlyBudget: mappedDecimal('quote.azureMonthlyBudget', azureMonthlyBudget(mapped.lines)),
    mappingVersion: q.mapping.version,
    mappingSource: source,
    expectedSeats: expectedSeats(mapped.lines),
    rateCardId: card.id,
    rateCardVersion: version.version,
    fingerprint: q.fingerprint,
    createdBy: ACTOR.actor,
  });
  await trx.updateTable('deals').set({ latest_revision: q.revision, customer_id: customerId, name: q.dealName }).where('id', '=', q.dealRowId).execute();
  await resolveQuoteExceptions(trx, q.dealRowId);
  await writeAudit(trx, {
    ...ACTOR,
    action: 'quote.create',
    entity: 'deal',
    entityId: q.dealRowId,
    after: { quoteId, revision: q.revision, customerId, rateCardId: card.id, rateCardVersion: version.version, mappingVersion: q.mapping.version },
    justification: input.justification,
  });
  return { outcome: 'quoted', revision: q.revision, quoteId, customerId, rateCardId: card.id, rateCardVersion: version.version, mappingVersion: q.mapping.version };
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
 * What makes a won state distinct: the close date, currency, company (and its tenant id),
 * every line as read, and the mapping version that reads them (a changed mapping is a new
 * revision, since the quote it makes may differ).
 */
function fingerprintOf(snapshot: DealSnapshot, tenantIdProperty: string, mappingVersion: number): string {
  const p = snapshot.deal.properties;
  return createHash('sha256')
    .update(
      canonicalJson({
        ...(mappingVersion > 0 ? { mappingVersion, deal: { ...p, hs_lastmodifieddate: undefined } } : {}),
        closedate: p.closedate ?? null,
        currency: p.deal_currency_code ?? null,
        company: snapshot.company ? { id: snapshot.company.id, tenantId: snapshot.company.properties[tenantIdProperty] ?? null } : null,
        lines: snapshot.lineItems.map((l) => ({ id: l.id, ...l.properties, hs_lastmodifieddate: undefined, createdate: undefined })),
      }),
    )
    .digest('hex');
}
