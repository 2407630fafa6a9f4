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
import { DecimalSum } from './decimal-sum.ts';
import { CHARGE_CATEGORIES } from './categories.ts';
import { periodBounds } from './dates.ts';
import { EngineError } from './errors.ts';
import { LineIdSet } from './line-id-set.ts';
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
  // Every line id of the invoice: a close streams a customer's month through here, and
  // this is all the invoice keeps per line (about 2 bytes, see LineIdSet).
  const seen = new LineIdSet();
  const upperCurrency = currency.toUpperCase();
  return (line, allocations) => {
    if (!seen.add(line.lineId)) throw bad(`Line ${line.lineId} appears twice on the invoice`, { lineId: line.lineId });
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

/** What an invoice is for, before its lines: adjustments are named up front, their lines added later. */
export interface InvoiceHeader {
  customerId: string;
  period: BillingPeriod;
  currency: CurrencyCode;
  card: RateCard;
  adjustments?: readonly AdjustmentHeader[];
}

export type AdjustmentHeader = Omit<InvoiceAdjustment, 'lines'>;

export interface InvoiceBuilderOptions {
  /**
   * Keep every invoice line's sources (InvoiceLine.sources). Default true. Without them
   * the invoice holds a few values per invoice line however many lines it has, and
   * `onSource` is the way to see each source as it is added.
   */
  keepSources?: boolean;
  /** Called with each source as its line is added, with the key (id) of the invoice line it lands on. */
  onSource?: (invoiceLineId: string, source: InvoiceLineSource) => void;
}

/** An invoice built line by line: `add` each priced line, then `finish` once. */
export interface InvoiceBuilder {
  /** Adds a priced line of this period (adjustmentId null) or of a named adjustment. Throws on a line the invoice refuses. */
  add(line: InvoiceSourceLine, adjustmentId: string | null): void;
  /** `add` for a priced line and its allocations given apart: a close adds a line per usage line, and need not copy each into an InvoiceSourceLine. */
  addPriced(line: PricedLine, allocations: readonly Allocation[], adjustmentId: string | null): void;
  finish(): Invoice;
}

interface Group {
  key: string;
  adjustment: AdjustmentHeader | null;
  first: PricedLine;
  exactAmount: DecimalSum;
  quantity: DecimalSum;
  sources: InvoiceLineSource[];
}

/**
 * Start an invoice whose lines arrive one by one (or in batches), e.g. straight from a
 * cursor. `finish` gives the same invoice as `buildInvoice` over the same lines in the
 * same order; with `keepSources: false` its lines' `sources` are empty.
 * Throws EngineError('invalid_invoice_input') on a header it refuses.
 */
export function startInvoice(header: InvoiceHeader, options: InvoiceBuilderOptions = {}): InvoiceBuilder {
  validateHeader(header);
  const keepSources = options.keepSources ?? true;
  const onSource = options.onSource;
  const check = lineChecker(header);
  const adjustmentsById = new Map((header.adjustments ?? []).map((a) => [a.id, a]));
  const groups = new Map<string, Group>();
  // Cost-node subtotals add up the allocations of every line, in no particular order when
  // lines stream in: summed exactly (beyond the engine's 40 digits), so the order cannot
  // change a digit, then rounded once.
  const byNode = new Map<string, DecimalSum>();
  let finished = false;

  // A line's group is found field by field among the groups of its meter (or SKU) and
  // resource group; its key is spelled only when none matches. Equal fields spell equal
  // keys, and fields that spell a key another group has join that group, as the key says.
  const index = new Map<string, Map<string, Group[]>>();
  const groupOf = (line: PricedLine, adjustment: AdjustmentHeader | null): Group => {
    const meterOrSku = line.meterId ?? line.sku;
    let byResourceGroup = index.get(meterOrSku);
    if (!byResourceGroup) index.set(meterOrSku, (byResourceGroup = new Map()));
    let list = byResourceGroup.get(line.resourceGroup ?? '');
    if (!list) byResourceGroup.set(line.resourceGroup ?? '', (list = []));
    for (const g of list) {
      const f = g.first;
      if (
        g.adjustment === adjustment &&
        f.subscriptionId === line.subscriptionId &&
        f.category === line.category &&
        f.resourceGroup === line.resourceGroup &&
        f.meterId === line.meterId &&
        (f.meterId !== null || f.sku === line.sku) &&
        f.ruleId === line.ruleId &&
        f.cardId === line.cardId &&
        f.cardVersion === line.cardVersion
      ) {
        return g;
      }
    }
    const key = groupKey(line, adjustment);
    let group = groups.get(key);
    if (!group) {
      groups.set(key, (group = { key, adjustment, first: line, exactAmount: new DecimalSum(), quantity: new DecimalSum(), sources: [] }));
      list.push(group);
    }
    return group;
  };

  const addPriced = (line: PricedLine, allocations: readonly Allocation[], adjustmentId: string | null): void => {
    if (finished) throw new Error('invoice already finished');
    const adjustment = adjustmentId === null ? null : adjustmentsById.get(adjustmentId);
    if (adjustment === undefined) throw bad(`Adjustment ${String(adjustmentId)} was not named when the invoice started`, { adjustmentId });
    check(line, allocations);
    const group = groupOf(line, adjustment);
    const { key } = group;
    group.exactAmount.add(line.price);
    group.quantity.add(line.quantity);
    for (const a of allocations) {
      let node = byNode.get(a.costNodeId);
      if (node === undefined) byNode.set(a.costNodeId, (node = new DecimalSum({ exact: true })));
      node.add(a.amount);
    }
    if (keepSources || onSource) {
      const source = sourceOf(line, allocations);
      if (keepSources) group.sources.push(source);
      onSource?.(key, source);
    }
  };

  const finish = (): Invoice => {
    if (finished) throw new Error('invoice already finished');
    finished = true;
    return finishInvoice(header, [...groups.values()], byNode);
  };
  return { add: (line, adjustmentId) => addPriced(line, line.allocations, adjustmentId), addPriced, finish };
}

/**
 * Build the invoice (detailed and summary views, subtotals, minimum, rounding, lineage).
 *
 * @example
 *   const invoice = buildInvoice({ customerId: 'c1', period: '2026-11', currency: 'USD', card, pricedLines, adjustments: [] });
 *   invoice.total.equals(sum(invoice.lines.map((l) => l.amount))) // always true
 */
export function buildInvoice(input: InvoiceInput): Invoice {
  const adjustments = input.adjustments ?? [];
  const builder = startInvoice({ customerId: input.customerId, period: input.period, currency: input.currency, card: input.card, adjustments });
  // add checks each line as it comes: the first refused line throws, and nothing grouped before it is returned.
  for (const line of input.pricedLines) builder.add(line, null);
  for (const adjustment of adjustments) for (const line of adjustment.lines) builder.add(line, adjustment.id);
  return builder.finish();
}

function finishInvoice(header: InvoiceHeader, groups: readonly Group[], byNode: ReadonlyMap<string, DecimalSum>): Invoice {
  const { card, currency } = header;
  const { scope, mode } = card.rounding;
  const places = minorUnits(currency);
  const rounding = { scope, mode, places };
  const adjustments = header.adjustments ?? [];

  const detailed: Omit<InvoiceLine, 'amount'>[] = [];
  for (const group of groups) {
    const { key, adjustment, first, sources } = group;
    const exactAmount = group.exactAmount.value();
    const quantity = group.quantity.value();
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
    // Back to the engine's 40 significant digits before it divides and floors.
    nodeIds.map((id) => (byNode.get(id) as DecimalSum).value().toSignificantDigits(Decimal.precision)),
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
