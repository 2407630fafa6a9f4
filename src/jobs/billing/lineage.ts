import { sourceOfLineId, type SourceKind } from '../../db/billing-lines.ts';
import { CompactIds } from '../../engine/compact-ids.ts';
import { ZERO } from '../../engine/decimal.ts';
import { DecimalSum } from '../../engine/decimal-sum.ts';
import type { Decimal } from '../../engine/decimal.ts';
import type { Allocation, FxUsed, Invoice, InvoiceLineSource } from '../../engine/types.ts';

// An invoice line's lineage as invoice_line_sources stores it: grouped, one row per source
// kind × rate rule × card version × fx × allocation split, with the source ids as an
// array, so a hundred thousand source lines stay a handful of rows. Grouped as the
// sources arrive, so a close never needs them all at once.

export interface LineageRow {
  kind: SourceKind;
  ruleId: string;
  cardId: string;
  cardVersion: number;
  basis: string;
  fx: string | null;
  costFx: string;
  allocationRuleId: string | null;
  allocationRuleVersion: number | null;
  costNodeId: string;
  percent: string;
  /**
   * The source lines: usage_lines ids for usage kinds (as varint deltas, about 2 bytes each:
   * a close keeps one per line it reads until the invoice is saved), license_lines ids for
   * licence kinds.
   */
  ids: CompactIds | string[];
  quantity: Decimal;
  cost: Decimal;
  price: Decimal;
  allocated: Decimal;
}

/** What saving needs of an invoice line's sources: its lineage groups, cost and count. */
export interface LineLineage {
  groups: LineageRow[];
  cost: Decimal;
  count: number;
}

/** The identity's key per currency pair, from → to (looked up without spelling the pair for every line). */
const identityKeys = new Map<string, Map<string, string>>();
// Lines priced alike share every split's percent: each is spelled once.
const percents = new WeakMap<Decimal, string>();

/** An fx rate as lineage records it; the identity (same currency) carries no date, so it never splits a group. */
function fxKey(fx: FxUsed | null): string | null {
  if (!fx) return null;
  if (fx.source !== 'identity') return JSON.stringify(fx);
  let to = identityKeys.get(fx.from);
  if (to === undefined) identityKeys.set(fx.from, (to = new Map()));
  let key = to.get(fx.to);
  if (key === undefined) {
    key = JSON.stringify({ from: fx.from, to: fx.to, rate: '1', source: 'identity', rateDate: null, rateId: null });
    to.set(fx.to, key);
  }
  return key;
}

function percentText(percent: Decimal): string {
  let text = percents.get(percent);
  if (text === undefined) percents.set(percent, (text = percent.toString()));
  return text;
}

interface OpenRow extends Omit<LineageRow, 'quantity' | 'cost' | 'price' | 'allocated'> {
  quantity: DecimalSum;
  cost: DecimalSum;
  price: DecimalSum;
  allocated: DecimalSum;
}

/** One invoice line's lineage, grouped as its sources are added (in the invoice's order). */
export class LineLineageBuilder {
  private readonly groups = new Map<string, OpenRow>();
  /** The rows of each cost node, matched field by field before a key is spelled (see rowOf). */
  private readonly byNode = new Map<string, OpenRow[]>();
  private readonly cost = new DecimalSum();
  private count = 0;

  add(source: InvoiceLineSource): void {
    const { kind, id } = sourceOfLineId(source.lineId);
    const sourceId = kind === 'usage' || kind === 'usage_reversal' ? Number(id) : id;
    const fx = fxKey(source.fx);
    const costFx = fxKey(source.costFx) as string;
    this.cost.add(source.cost);
    this.count += 1;
    for (const a of source.allocations) {
      const g = this.rowOf(kind, source, fx, costFx, a);
      if (typeof sourceId === 'number') (g.ids as CompactIds).push(sourceId);
      else (g.ids as string[]).push(sourceId);
      g.quantity.add(source.quantity);
      g.cost.add(source.cost);
      g.price.add(source.price);
      g.allocated.add(a.amount);
    }
  }

  /**
   * The row a source's allocation adds to: found field by field among its cost node's rows;
   * the key is spelled only when none matches (equal fields spell equal keys, and fields
   * that spell another row's key join that row, as the key says).
   */
  private rowOf(kind: SourceKind, source: InvoiceLineSource, fx: string | null, costFx: string, a: Allocation): OpenRow {
    const percent = percentText(a.percent);
    let list = this.byNode.get(a.costNodeId);
    if (!list) this.byNode.set(a.costNodeId, (list = []));
    for (const g of list) {
      if (
        g.kind === kind &&
        g.ruleId === source.ruleId &&
        g.cardId === source.cardId &&
        g.cardVersion === source.cardVersion &&
        g.fx === fx &&
        g.costFx === costFx &&
        g.allocationRuleId === a.ruleId &&
        g.allocationRuleVersion === a.ruleVersion &&
        g.percent === percent
      ) {
        return g;
      }
    }
    const key = `${kind}|${source.ruleId}|${source.cardId}@${source.cardVersion}|${fx ?? ''}|${costFx}|${a.ruleId ?? ''}|${a.ruleVersion ?? ''}|${a.costNodeId}|${percent}`;
    let g = this.groups.get(key);
    if (!g) {
      g = {
        kind,
        ruleId: source.ruleId,
        cardId: source.cardId,
        cardVersion: source.cardVersion,
        basis: source.basis,
        fx,
        costFx,
        allocationRuleId: a.ruleId,
        allocationRuleVersion: a.ruleVersion,
        costNodeId: a.costNodeId,
        percent,
        ids: kind === 'usage' || kind === 'usage_reversal' ? new CompactIds() : [],
        quantity: new DecimalSum(),
        cost: new DecimalSum(),
        price: new DecimalSum(),
        allocated: new DecimalSum(),
      };
      this.groups.set(key, g);
      list.push(g);
    }
    return g;
  }

  result(): LineLineage {
    const groups: LineageRow[] = [];
    for (const g of this.groups.values()) {
      groups.push({ ...g, quantity: g.quantity.value(), cost: g.cost.value(), price: g.price.value(), allocated: g.allocated.value() });
    }
    return { groups, cost: this.cost.value(), count: this.count };
  }
}

/**
 * Collects every invoice line's lineage from a close's `onSource`, by invoice line id.
 * Lines with no sources (the minimum and rounding lines) have an empty lineage.
 */
export class InvoiceLineageCollector {
  private readonly lines = new Map<string, LineLineageBuilder>();

  readonly onSource = (invoiceLineId: string, source: InvoiceLineSource): void => {
    let line = this.lines.get(invoiceLineId);
    if (!line) this.lines.set(invoiceLineId, (line = new LineLineageBuilder()));
    line.add(source);
  };

  lineage(invoice: Invoice): Map<string, LineLineage> {
    const out = new Map<string, LineLineage>();
    for (const line of invoice.lines) out.set(line.id, this.lines.get(line.id)?.result() ?? { groups: [], cost: ZERO, count: 0 });
    return out;
  }
}

/** Every invoice line's lineage, by line id, from an invoice that kept its sources. */
export function invoiceLineage(invoice: Invoice): Map<string, LineLineage> {
  const collector = new InvoiceLineageCollector();
  for (const line of invoice.lines) for (const source of line.sources) collector.onSource(line.id, source);
  return collector.lineage(invoice);
}
