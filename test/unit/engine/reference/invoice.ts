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
 * - Rounding, as the card says: scope 'line' — every priced line was already rounded,
 *   so invoice lines are exact sums and no rounding line is needed; scope 'invoice' —
 *   lines keep full precision (`exactAmount`), each is displayed rounded (`amount`), the
 *   total is rounded once from the exact sum and the difference to the displayed lines
 *   is shown as a 'rounding' line.
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
  ChargeCategory,
  Invoice,
  InvoiceAdjustment,
  InvoiceInput,
  InvoiceLine,
  InvoiceLineSource,
  InvoiceSourceLine,
  InvoiceSummaryLine,
} from './types.ts';

function bad(message: string, details: Record<string, unknown> = {}): EngineError {
  return new EngineError('invalid_invoice_input', message, details);
}

function validate(input: InvoiceInput): void {
  const { card, currency, customerId, period } = input;
  periodBounds(period);
  minorUnits(currency);
  if (card.currency.toUpperCase() !== currency.toUpperCase()) {
    throw bad(`Invoice in ${currency} cannot use rate card ${card.id} v${card.version}, which prices in ${card.currency}`);
  }
  const adjustmentIds = new Set<string>();
  for (const adjustment of input.adjustments ?? []) {
    if (adjustmentIds.has(adjustment.id)) throw bad(`Adjustment ${adjustment.id} is given twice`);
    adjustmentIds.add(adjustment.id);
    periodBounds(adjustment.originalPeriod);
    if (adjustment.originalPeriod >= period) {
      throw bad(`Adjustment ${adjustment.id} is for ${adjustment.originalPeriod}, which is not a period before ${period}`, { adjustmentId: adjustment.id });
    }
  }
  const seen = new Set<string>();
  const all = [...input.pricedLines, ...(input.adjustments ?? []).flatMap((a) => a.lines)];
  for (const line of all) {
    if (seen.has(line.lineId)) throw bad(`Line ${line.lineId} appears twice on the invoice`, { lineId: line.lineId });
    seen.add(line.lineId);
    if (line.customerId !== customerId) throw bad(`Line ${line.lineId} belongs to customer ${line.customerId}, not ${customerId}`, { lineId: line.lineId });
    if (line.currency.toUpperCase() !== currency.toUpperCase()) throw bad(`Line ${line.lineId} is priced in ${line.currency}, not ${currency}`, { lineId: line.lineId });
    if (card.rounding.scope === 'line' && !isWholeMinorUnits(line.price, currency)) {
      throw bad(`Line ${line.lineId} price ${line.price.toString()} is not rounded, but card ${card.id} v${card.version} rounds per line`, { lineId: line.lineId });
    }
    const allocated = sum(line.allocations.map((a) => a.amount));
    if (!allocated.equals(line.price)) {
      throw bad(`Line ${line.lineId} allocations sum to ${allocated.toString()}, not its price ${line.price.toString()}`, { lineId: line.lineId });
    }
  }
}

function categoryRank(category: ChargeCategory | null): number {
  return category === null ? CHARGE_CATEGORIES.length : CHARGE_CATEGORIES.indexOf(category);
}

function groupKey(line: InvoiceSourceLine, adjustment: InvoiceAdjustment | null): string {
  return [
    adjustment ? `adjustment:${adjustment.id}` : 'charge',
    line.category,
    line.subscriptionId,
    line.resourceGroup ?? '',
    line.meterId ?? line.sku,
    `${line.cardId}@${line.cardVersion}`,
    line.ruleId,
  ].join('|');
}

function sourceOf(line: InvoiceSourceLine): InvoiceLineSource {
  return {
    lineId: line.lineId,
    ruleId: line.ruleId,
    cardId: line.cardId,
    cardVersion: line.cardVersion,
    basis: line.basis,
    quantity: line.quantity,
    unroundedPrice: line.unroundedPrice,
    price: line.price,
    cost: line.cost,
    fx: line.fx,
    costFx: line.costFx,
    allocations: line.allocations,
  };
}

/**
 * Build the invoice (detailed and summary views, subtotals, minimum, rounding, lineage).
 *
 * @example
 *   const invoice = buildInvoice({ customerId: 'c1', period: '2026-11', currency: 'USD', card, pricedLines, adjustments: [] });
 *   invoice.total.equals(sum(invoice.lines.map((l) => l.amount))) // always true
 */
export function buildInvoice(input: InvoiceInput): Invoice {
  validate(input);
  const { card, currency } = input;
  const { scope, mode } = card.rounding;
  const places = minorUnits(currency);
  const rounding = { scope, mode, places };
  const round = (amount: Decimal): Decimal => roundMoney(amount, currency, mode);
  const adjustments = input.adjustments ?? [];

  const groups = new Map<string, { adjustment: InvoiceAdjustment | null; lines: InvoiceSourceLine[] }>();
  const add = (line: InvoiceSourceLine, adjustment: InvoiceAdjustment | null): void => {
    const key = groupKey(line, adjustment);
    const group = groups.get(key) ?? { adjustment, lines: [] };
    group.lines.push(line);
    groups.set(key, group);
  };
  for (const line of input.pricedLines) add(line, null);
  for (const adjustment of adjustments) for (const line of adjustment.lines) add(line, adjustment);

  const detailed: InvoiceLine[] = [];
  for (const [key, { adjustment, lines }] of groups) {
    const first = lines[0] as InvoiceSourceLine;
    const exactAmount = sum(lines.map((l) => l.price));
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
      quantity: sum(lines.map((l) => l.quantity)),
      exactAmount,
      amount: scope === 'line' ? exactAmount : round(exactAmount),
      ruleId: first.ruleId,
      cardId: first.cardId,
      cardVersion: first.cardVersion,
      rounding,
      sources: lines.map(sourceOf),
    });
  }
  const adjustmentRank = new Map(adjustments.map((a, i) => [a.id, i]));
  detailed.sort(
    (a, b) =>
      (a.adjustment ? 1 + (adjustmentRank.get(a.adjustment.id) ?? 0) : 0) - (b.adjustment ? 1 + (adjustmentRank.get(b.adjustment.id) ?? 0) : 0) ||
      categoryRank(a.category) - categoryRank(b.category) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const charges = detailed.filter((l) => l.kind === 'charge');
  const chargesTotal = round(sum(charges.map((l) => l.exactAmount)));
  const exactAll = sum(detailed.map((l) => l.exactAmount));
  const roundedAll = round(exactAll);
  const roundingAdjustment = roundedAll.minus(sum(detailed.map((l) => l.amount)));
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
  const lines = detailed.slice();
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
    const ofAdjustment = detailed.filter((l) => l.adjustment?.id === adjustment.id);
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

  const byNode = new Map<string, Decimal>();
  for (const l of detailed) {
    for (const source of l.sources) {
      for (const a of source.allocations) byNode.set(a.costNodeId, (byNode.get(a.costNodeId) ?? ZERO).plus(a.amount));
    }
  }
  const nodeIds = [...byNode.keys()].sort();
  const nodeAmounts = roundPartsToTarget(nodeIds.map((id) => byNode.get(id) ?? ZERO), roundedAll, minorUnit(currency));
  const subtotalsByCostNode = nodeIds.map((costNodeId, i) => ({ costNodeId, amount: nodeAmounts[i] ?? ZERO }));

  const total = sum(lines.map((l) => l.amount));
  if (!total.equals(roundedAll.plus(minimumCharge)) || lines.some((l) => !isWholeMinorUnits(l.amount, currency))) {
    throw new EngineError('invalid_invoice_input', `Invoice for ${input.customerId} ${input.period} does not add up; refusing to issue it`);
  }

  return {
    customerId: input.customerId,
    period: input.period,
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
