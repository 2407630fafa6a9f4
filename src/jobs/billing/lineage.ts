import { sourceOfLineId, type SourceKind } from '../../db/billing-lines.ts';
import { ZERO } from '../../engine/decimal.ts';
import type { Decimal } from '../../engine/decimal.ts';
import type { FxUsed, Invoice, InvoiceLineSource } from '../../engine/types.ts';

// An invoice line's lineage as invoice_line_sources stores it: grouped, one row per source
// kind × rate rule × card version × fx × allocation split, with the source ids as an
// array, so a hundred thousand source lines stay a handful of rows. A source that is a
// group of usage lines the database summed brings its key, not its ids: the save finds
// its lines by key (INSERT … SELECT, see src/db/usage-groups.ts). A row traces either
// groups or single lines (late lines, reversals, licences), never both.

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
  /** Single source lines: usage_lines ids (numbers) or license_lines ids (strings). */
  ids: Array<number | string>;
  /** Usage groups whose lines the row traces. */
  groupKeys: string[];
  /** How many source lines the row traces (ids and the groups' lines). */
  lineCount: number;
  quantity: Decimal;
  cost: Decimal;
  price: Decimal;
  allocated: Decimal;
}

/** What saving needs of an invoice line's sources: its lineage rows, cost and source-line count. */
export interface LineLineage {
  groups: LineageRow[];
  cost: Decimal;
  count: number;
}

/** An fx rate as lineage records it; the identity (same currency) carries no date, so it never splits a row. */
function fxKey(fx: FxUsed | null): string | null {
  if (!fx) return null;
  if (fx.source !== 'identity') return JSON.stringify(fx);
  return JSON.stringify({ from: fx.from, to: fx.to, rate: '1', source: 'identity', rateDate: null, rateId: null });
}

/**
 * One invoice line's lineage rows, from its sources.
 * @example lineLineage(invoice.lines[0].sources) // { groups: [{ kind: 'usage', groupKeys: [...], lineCount: 30, ... }], cost, count: 30 }
 */
export function lineLineage(sources: readonly InvoiceLineSource[]): LineLineage {
  const rows = new Map<string, LineageRow>();
  let cost = ZERO;
  let count = 0;
  for (const source of sources) {
    const { kind, id } = sourceOfLineId(source.lineId);
    const fx = fxKey(source.fx);
    const costFx = fxKey(source.costFx) as string;
    cost = cost.plus(source.cost);
    count += source.lineCount;
    for (const a of source.allocations) {
      const percent = a.percent.toString();
      const grouped = source.groupKey !== null;
      const key = [kind, grouped, source.ruleId, `${source.cardId}@${source.cardVersion}`, fx ?? '', costFx, a.ruleId ?? '', a.ruleVersion ?? '', a.costNodeId, percent].join('|');
      let row = rows.get(key);
      if (!row) {
        row = {
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
          ids: [],
          groupKeys: [],
          lineCount: 0,
          quantity: ZERO,
          cost: ZERO,
          price: ZERO,
          allocated: ZERO,
        };
        rows.set(key, row);
      }
      if (source.groupKey !== null) row.groupKeys.push(source.groupKey);
      else row.ids.push(kind === 'usage' || kind === 'usage_reversal' ? Number(id) : id);
      row.lineCount += source.lineCount;
      row.quantity = row.quantity.plus(source.quantity);
      row.cost = row.cost.plus(source.cost);
      row.price = row.price.plus(source.price);
      row.allocated = row.allocated.plus(a.amount);
    }
  }
  return { groups: [...rows.values()], cost, count };
}

/** Every invoice line's lineage, by line id (the minimum and rounding lines have none). */
export function invoiceLineage(invoice: Invoice): Map<string, LineLineage> {
  return new Map(invoice.lines.map((line) => [line.id, lineLineage(line.sources)]));
}
