import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { activeHubSpotConnections } from '../../connectors/hubspot/connections.ts';
import type { CrmRecord } from '../../connectors/hubspot/client.ts';
import { loadCategoryMapping } from '../../db/charge-categories.ts';
import { fieldOwners } from '../../db/field-owners.ts';
import { loadEffectiveRateCard, ruleMatchKey } from '../../db/rate-cards.ts';
import { priceDrift, type HubPrice } from '../../engine/drift.ts';
import { minorUnits } from '../../engine/money.ts';
import { lineItemPropertiesRead } from '../../mappings/hubspot/line-item-mapping.ts';
import { lineItemMapping, mapQuoteLines } from '../../mappings/hubspot/quote-lines.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import { todayIn } from '../../engine/dates.ts';
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import { compareBillingContacts } from './contacts.ts';
import { closeFinding, keepFinding, type DriftRunSummary, type FindingDraft } from './findings.ts';
import { lastPeriodCost } from './period-cost.ts';
import { comparePsaSeats } from './psa-seats.ts';
import { SEATS_FIELD, seatFinding } from './seats.ts';

export type { DriftRunSummary } from './findings.ts';

export const DRIFT_TASK = 'drift:detect';

/** The line as the CRM prices it now, and where it sits in the hub. */
interface ComparedLine {
  key: string;
  connectionId: string;
  customerId: string;
  currency: string;
  subject: string;
  item: CrmRecord;
}

/** The hub's rule for a line's SKU or category on the customer's approved card, and when that version was approved. */
async function hubPriceOf(ctx: HubContext, customerId: string, match: { sku: string } | { category: string }, today: string) {
  const card = await loadEffectiveRateCard(ctx.db, customerId, today);
  if (!card) return undefined;
  const key = ruleMatchKey(match as never);
  const rule = card.rules.find((r) => ruleMatchKey(r.match) === key);
  if (!rule) return undefined;
  const version = await ctx.db.selectFrom('rate_card_versions').select('decided_at').where('id', '=', card.versionId).executeTakeFirstOrThrow();
  const price: HubPrice = rule.unitPrice != null ? { unitPrice: rule.unitPrice } : rule.basis === 'cost' && rule.markupPercent != null ? { markupPercent: rule.markupPercent } : {};
  return { price, seenAt: version.decided_at };
}

/**
 * Compares every price the hub owns with the copy in each connected CRM (the line items
 * of each deal's latest quote, re-read now), and the CRM's billing contact and address
 * with each ERP's copy (Xero contact, QuickBooks customer), and the hub's seats with each
 * ConnectWise agreement's quantities, and keeps one finding per difference: opened
 * when new, refreshed while it lasts, closed with a note when the values agree again.
 * Idempotent: a second run over the same state changes nothing.
 */
export async function detectDrift(ctx: HubContext): Promise<DriftRunSummary> {
  const summary: DriftRunSummary = { compared: 0, opened: 0, updated: 0, closed: 0 };
  const owners = await fieldOwners(ctx.db);
  const categories = await loadCategoryMapping(ctx.db);
  const today = todayIn(ctx.config.billingTimeZone);
  for (const connection of await activeHubSpotConnections(ctx)) {
    try {
      await compareConnection(ctx, connection.id, { owners, categories, today }, summary);
    } catch (err) {
      // One unreachable CRM must not hide the drift of the others; the next run tries it again.
      ctx.logger.warn({ err, connectionId: connection.id }, 'drift: connection skipped');
    }
  }
  await compareBillingContacts(ctx, owners, summary);
  await comparePsaSeats(ctx, owners, today, summary);
  return summary;
}

interface RunInputs {
  owners: Awaited<ReturnType<typeof fieldOwners>>;
  categories: Awaited<ReturnType<typeof loadCategoryMapping>>;
  today: string;
}

async function compareConnection(ctx: HubContext, connectionId: string, { owners, categories, today }: RunInputs, summary: DriftRunSummary): Promise<void> {
  const quoted = await sql<{ customer_id: string; currency: string; line_item_id: string }>`
    select distinct on (l.source->>'id') q.customer_id, q.currency, l.source->>'id' as line_item_id
    from quotes q
    join deals d on d.id = q.deal_id
    join quote_lines l on l.quote_id = q.id
    where d.connection_id = ${connectionId}
      and q.revision = d.latest_revision
    order by l.source->>'id', q.created_at desc`.execute(ctx.db);
  if (quoted.rows.length === 0) return;
  const { client } = await hubspotClientFor(ctx, connectionId);
  // The CRM's copy is read through the line item mapping in force, as quote-to-cash read it.
  const lineObject = mappingObject('hubspot', 'line_item')!;
  const inForce = await mappingInForce(ctx.db, connectionId, lineObject.object, lineObject.defaultRules);
  const lineMapping = lineItemMapping(inForce.version, inForce.rules);
  const read = await client.readLineItems(
    quoted.rows.map((r) => r.line_item_id),
    lineItemPropertiesRead(lineMapping.checked.specs.keys()),
  );
  const items = new Map(read.map((i) => [i.id, i]));
  const seen = new Set<string>();
  for (const row of quoted.rows) {
    const item = items.get(row.line_item_id);
    if (!item) continue;
    const [line] = mapQuoteLines([item], { sku: categories.sku, licenseLines: categories.defaults.licenseLines ?? 'licenses' }, lineMapping).lines;
    if (!line) continue;
    const match = line.kind === 'seat' ? { sku: line.sku! } : { category: line.category };
    const subject = line.kind === 'seat' ? `sku:${line.sku}` : `category:${line.category}`;
    const hub = await hubPriceOf(ctx, row.customer_id, match, today);
    if (!hub) continue;
    const field = line.kind === 'seat' ? 'rate_card.unit_price' : 'rate_card.markup_percent';
    const key = `${connectionId}:${row.customer_id}:${field}:${subject}:${item.id}`;
    seen.add(key);
    // Markup differences are worth what the category actually cost, when an invoice in the same currency says so.
    const actual = line.kind === 'seat' ? undefined : await lastPeriodCost(ctx, row.customer_id, line.category);
    const usage = actual?.currency === row.currency ? actual : undefined;
    const drift = priceDrift(hub.price, line, row.currency, usage?.cost);
    const owner = owners.get(field)?.owner ?? 'hub';
    const hubSide = { value: drift?.hubValue.toString() ?? '', seenAt: hub.seenAt };
    const crmSide = { value: drift?.crmValue.toString() ?? '', seenAt: item.properties.hs_lastmodifieddate ? new Date(item.properties.hs_lastmodifieddate) : null };
    const [ownerSide, otherSide] = owner === 'crm' ? [crmSide, hubSide] : [hubSide, crmSide];
    const draft: FindingDraft | null = drift && {
      connectionId,
      customerId: row.customer_id,
      system: 'hubspot',
      field,
      subject,
      owner,
      ownerValue: ownerSide.value,
      ownerSeenAt: ownerSide.seenAt,
      otherValue: otherSide.value,
      otherSeenAt: otherSide.seenAt,
      moneyAtStake: drift.moneyAtStake.toFixed(minorUnits(row.currency)),
      currency: row.currency,
      vendorRef: {
        object: 'line_items',
        id: item.id,
        kind: line.kind,
        quantity: line.quantity.toString(),
        unitCost: line.unitCost?.toString() ?? null,
        hubValue: drift.hubValue.toString(),
        crmValue: drift.crmValue.toString(),
        stakeBasis: usage ? `cost of ${usage.period}: ${usage.cost.toString()}` : 'quoted cost',
      },
    };
    await keepFinding(ctx, key, draft, summary);
    if (line.kind !== 'seat') continue;
    const seats = await seatFinding(ctx, { connectionId, customerId: row.customer_id, currency: row.currency, sku: line.sku!, lineItemId: item.id, quantity: line.quantity, unitCost: line.unitCost, modifiedAt: crmSide.seenAt }, hub.price, owners.get(SEATS_FIELD)?.owner ?? 'microsoft');
    if (!seats) continue;
    seen.add(seats.key);
    await keepFinding(ctx, seats.key, seats.draft, summary);
  }
  // A finding whose line is gone from the latest quote is moot.
  const stale = await ctx.db.selectFrom('drift_findings').select(['id', 'finding_key']).where('connection_id', '=', connectionId).where('status', 'in', ['open']).execute();
  for (const finding of stale.filter((f) => !seen.has(f.finding_key))) {
    await closeFinding(ctx, finding.id, false, 'the line is no longer on the latest quote');
    summary.closed++;
  }
}
