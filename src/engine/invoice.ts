/**
 * Build one customer's invoice for one billing period from priced, allocated lines.
 *
 * - Detailed view: one line per subscription / resource group / meter (licences: per
 *   subscription / SKU), per category, rule and card version — so every displayed line
 *   has one rule and one card version in its lineage. Late usage from earlier, closed
 *   periods comes in as labelled adjustments and is listed after the charges, never
 *   folded into them.
 * - Summary view: the same detailed lines added up per category (charges), per
 *   adjustment, then the minimum and rounding lines.
 * - Rounding, as the card says and only in `roundMoney`: each invoice line is the exact
 *   sum of its sources' full-precision prices (`exactAmount`), shown rounded (`amount`);
 *   scope 'line' totals the rounded lines, scope 'invoice' rounds the exact total once
 *   and shows the difference to the displayed lines as a 'rounding' line.
 * - Minimum monthly charge: when this period's charges (adjustments excluded: they
 *   belong to periods already billed) fall short of the card's minimum, a 'minimum'
 *   line tops them up.
 * - Invariant, checked before returning: total = Σ lines[].amount, every amount in
 *   whole minor units of the invoice currency.
 * - Cost-node subtotals: the exact allocated amounts per node, rounded with the largest
 *   remainder so they add up to the charges + adjustments (+ rounding) total. The
 *   minimum top-up is a customer-level charge and is not allocated.
 */
import { Decimal, ZERO, sum } from './decimal.ts';
import { CHARGE_CATEGORIES } from './categories.ts';
import { periodBounds } from './dates.ts';
import { EngineError } from './errors.ts';
import { isWholeMinorUnits, minorUnit, minorUnits, roundMoney, roundPartsToTarget } from './money.ts';
import type {
  Allocation,
  BillingPeriod,
  ChargeCategory,
  CurrencyCode,
  Invoice,
  InvoiceAdjustment,
  InvoiceInput,
  InvoiceLine,
  InvoiceLineSource,
  InvoiceSourceLine,
  InvoiceSummaryLine,
  PricedLine,
  RateCard,
} from './types.ts';

function bad(message: string, details: Record<string, unknown> = {}): EngineError {
  return new EngineError('invalid_invoice_input', message, details);
}

function validateHeader(header: InvoiceHeader): void {
  const { card, currency, period } = header;
  periodBounds(period);
  minorUnits(currency);
  if (card.currency.toUpperCase() !== currency.toUpperCase()) {
    throw bad(`Invoice in ${currency} cannot use rate card ${card.id} v${card.version}, which prices in ${card.currency}`);
  }
  const adjustmentIds = new Set<string>();
  for (const adjustment of header.adjustments ?? []) {
    if (adjustmentIds.has(adjustment.id)) throw bad(`Adjustment ${adjustment.id} is given twice`);
    adjustmentIds.add(adjustment.id);
    periodBounds(adjustment.originalPeriod);
    if (adjustment.originalPeriod >= period) {
      throw bad(`Adjustment ${adjustment.id} is for ${adjustment.originalPeriod}, which is not a period before ${period}`, { adjustmentId: adjustment.id });
    }
  }
}

/** A check of one line (and its allocations) against the invoice; throws on the first problem. */
function lineChecker(header: InvoiceHeader): (line: PricedLine, allocations: readonly Allocation[]) => void {
  const { card, currency, customerId } = header;
  const seen = new Set<string>();
  const upperCurrency = currency.toUpperCase();
  return (line, allocations) => {
    if (seen.has(line.lineId)) throw bad(`Line ${line.lineId} appears twice on the invoice`, { lineId: line.lineId });
    seen.add(line.lineId);
    if (line.customerId !== customerId) throw bad(`Line ${line.lineId} belongs to customer ${line.customerId}, not ${customerId}`, { lineId: line.lineId });
    if (line.currency !== currency && line.currency.toUpperCase() !== upperCurrency) throw bad(`Line ${line.lineId} is priced in ${line.currency}, not ${currency}`, { lineId: line.lineId });
    // One allocation: Σ = 0 + a, which equals the price exactly when a does.
    const single = allocations.length === 1 ? (allocations[0] as { amount: Decimal }).amount : null;
    if (single !== null && (single === line.price || single.equals(line.price))) return;
    const allocated = sum(allocations.map((a) => a.amount));
    if (!allocated.equals(line.price)) {
      throw bad(`Line ${line.lineId} allocations sum to ${allocated.toString()}, not its price ${line.price.toString()}`, { lineId: line.lineId });
    }
  };
}

function categoryRank(category: ChargeCategory | null): number {
  return category === null ? CHARGE_CATEGORIES.length : CHARGE_CATEGORIES.indexOf(category);
}

function groupKey(line: PricedLine, adjustment: AdjustmentHeader | null): string {
  // The same string as [..].join('|') (join prints null and undefined as '').
  const head = adjustment ? `adjustment:${adjustment.id}` : 'charge';
  return `${head}|${line.category ?? ''}|${line.subscriptionId ?? ''}|${line.resourceGroup ?? ''}|${line.meterId ?? line.sku ?? ''}|${line.cardId}@${line.cardVersion}|${line.ruleId ?? ''}`;
}

function sourceOf(line: PricedLine, allocations: readonly Allocation[]): InvoiceLineSource {
  return {
    lineId: line.lineId,
    lineCount: line.lineCount,
    groupKey: line.groupKey,
    ruleId: line.ruleId,
    cardId: line.cardId,
    cardVersion: line.cardVersion,
    basis: line.basis,
    quantity: line.quantity,
    price: line.price,
    cost: line.cost,
    fx: line.fx,
    costFx: line.costFx,
    allocations,
  };
}

/** What an invoice is for, before its lines. */
interface InvoiceHeader {
  customerId: string;
  period: BillingPeriod;
  currency: CurrencyCode;
  card: RateCard;
  adjustments?: readonly AdjustmentHeader[];
}

type AdjustmentHeader = Omit<InvoiceAdjustment, 'lines'>;

interface Group {
  key: string;
  adjustment: AdjustmentHeader | null;
  first: PricedLine;
  exactAmount: Decimal;
  quantity: Decimal;
  sources: InvoiceLineSource[];
}

/**
 * Build the invoice (detailed and summary views, subtotals, minimum, rounding, lineage).
 * Throws EngineError('invalid_invoice_input') on the first line (or header) it refuses.
 *
 * @example
 *   const invoice = buildInvoice({ customerId: 'c1', period: '2026-11', currency: 'USD', card, pricedLines, adjustments: [] });
 *   invoice.total.equals(sum(invoice.lines.map((l) => l.amount))) // always true
 */
export function buildInvoice(input: InvoiceInput): Invoice {
  const adjustments = input.adjustments ?? [];
  const header: InvoiceHeader = { customerId: input.customerId, period: input.period, currency: input.currency, card: input.card, adjustments };
  validateHeader(header);
  const check = lineChecker(header);
  const groups = new Map<string, Group>();
  const byNode = new Map<string, Decimal>();
  const add = (line: InvoiceSourceLine, adjustment: AdjustmentHeader | null): void => {
    check(line, line.allocations);
    const key = groupKey(line, adjustment);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, adjustment, first: line, exactAmount: ZERO, quantity: ZERO, sources: [] }));
    group.exactAmount = group.exactAmount.plus(line.price);
    group.quantity = group.quantity.plus(line.quantity);
    for (const a of line.allocations) byNode.set(a.costNodeId, (byNode.get(a.costNodeId) ?? ZERO).plus(a.amount));
    group.sources.push(sourceOf(line, line.allocations));
  };
  for (const line of input.pricedLines) add(line, null);
  for (const adjustment of adjustments) {
    const { lines, ...named } = adjustment;
    for (const line of lines) add(line, named);
  }
  return finishInvoice(header, [...groups.values()], byNode);
}

function finishInvoice(header: InvoiceHeader, groups: readonly Group[], byNode: ReadonlyMap<string, Decimal>): Invoice {
  const { card, currency } = header;
  const { scope, mode } = card.rounding;
  const places = minorUnits(currency);
  const rounding = { scope, mode, places };
  const adjustments = header.adjustments ?? [];

  const detailed: Omit<InvoiceLine, 'amount'>[] = [];
  for (const group of groups) {
    const { key, adjustment, first, sources } = group;
    const { exactAmount, quantity } = group;
    detailed.push({
      id: key,
      kind: adjustment ? 'adjustment' : 'charge',
      description: adjustment ? `${adjustment.label} (${adjustment.originalPeriod}): ${first.description}` : first.description,
      category: first.category,
      subscriptionId: first.subscriptionId,
      resourceGroup: first.resourceGroup,
      meterId: first.meterId,
      sku: first.sku,
      adjustment: adjustment ? { id: adjustment.id, originalPeriod: adjustment.originalPeriod, label: adjustment.label } : null,
      quantity,
      exactAmount,
      ruleId: first.ruleId,
      cardId: first.cardId,
      cardVersion: first.cardVersion,
      rounding,
      sources,
    });
  }
  const adjustmentRank = new Map(adjustments.map((a, i) => [a.id, i]));
  const sorted = detailed.sort(
    (a, b) =>
      (a.adjustment ? 1 + (adjustmentRank.get(a.adjustment.id) ?? 0) : 0) - (b.adjustment ? 1 + (adjustmentRank.get(b.adjustment.id) ?? 0) : 0) ||
      categoryRank(a.category) - categoryRank(b.category) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const money = { currency, scope, mode };
  const rounded = roundMoney(sorted.map((l) => l.exactAmount), money);
  const shown: InvoiceLine[] = sorted.map((l, i) => ({ ...l, amount: rounded.lines[i] as Decimal }));
  const charges = shown.filter((l) => l.kind === 'charge');
  // The minimum tops up this period's charges as the card would total them alone.
  const chargesTotal = roundMoney(charges.map((l) => l.exactAmount), money).total;
  const roundedAll = rounded.total;
  const roundingAdjustment = rounded.difference;
  const minimum = card.minimumMonthly ?? null;
  const minimumCharge = minimum !== null && chargesTotal.lessThan(minimum) ? minimum.minus(chargesTotal) : ZERO;

  const special = (kind: 'minimum' | 'rounding', description: string, amount: Decimal): InvoiceLine => ({
    id: kind,
    kind,
    description,
    category: null,
    subscriptionId: null,
    resourceGroup: null,
    meterId: null,
    sku: null,
    adjustment: null,
    quantity: null,
    exactAmount: amount,
    amount,
    ruleId: null,
    cardId: card.id,
    cardVersion: card.version,
    rounding,
    sources: [],
  });
  const lines = shown.slice();
  if (!minimumCharge.isZero()) {
    lines.push(special('minimum', `Minimum monthly charge of ${minimum?.toFixed(places)} ${currency} (charges ${chargesTotal.toFixed(places)})`, minimumCharge));
  }
  if (!roundingAdjustment.isZero()) {
    lines.push(special('rounding', 'Rounding difference (invoice total rounded once)', roundingAdjustment));
  }

  const summary: InvoiceSummaryLine[] = [];
  const subtotalsByCategory: Partial<Record<ChargeCategory, Decimal>> = {};
  for (const category of CHARGE_CATEGORIES) {
    const inCategory = charges.filter((l) => l.category === category);
    if (inCategory.length === 0) continue;
    const amount = sum(inCategory.map((l) => l.amount));
    subtotalsByCategory[category] = amount;
    summary.push({ kind: 'charge', category, adjustmentId: null, description: category, amount, lineIds: inCategory.map((l) => l.id) });
  }
  for (const adjustment of adjustments) {
    const ofAdjustment = shown.filter((l) => l.adjustment?.id === adjustment.id);
    if (ofAdjustment.length === 0) continue;
    summary.push({
      kind: 'adjustment',
      category: null,
      adjustmentId: adjustment.id,
      description: `${adjustment.label} (${adjustment.originalPeriod})`,
      amount: sum(ofAdjustment.map((l) => l.amount)),
      lineIds: ofAdjustment.map((l) => l.id),
    });
  }
  for (const l of lines) {
    if (l.kind === 'minimum' || l.kind === 'rounding') {
      summary.push({ kind: l.kind, category: null, adjustmentId: null, description: l.description, amount: l.amount, lineIds: [l.id] });
    }
  }

  const nodeIds = [...byNode.keys()].sort();
  const nodeAmounts = roundPartsToTarget(
    nodeIds.map((id) => byNode.get(id) as Decimal),
    roundedAll,
    minorUnit(currency),
  );
  const subtotalsByCostNode = nodeIds.map((costNodeId, i) => ({ costNodeId, amount: nodeAmounts[i] ?? ZERO }));

  const total = sum(lines.map((l) => l.amount));
  if (!total.equals(roundedAll.plus(minimumCharge)) || lines.some((l) => !isWholeMinorUnits(l.amount, currency))) {
    throw new EngineError('invalid_invoice_input', `Invoice for ${header.customerId} ${header.period} does not add up; refusing to issue it`);
  }

  return {
    customerId: header.customerId,
    period: header.period,
    currency,
    cardId: card.id,
    cardVersion: card.version,
    rounding,
    lines,
    summary,
    subtotalsByCategory,
    subtotalsByCostNode,
    minimumCharge,
    roundingAdjustment,
    total,
  };
}
