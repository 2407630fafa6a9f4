/**
 * The lines an ERP document carries for a hub invoice: each invoice line with its
 * revenue account and tax code, split by the cost nodes it was allocated to (each part
 * with that node's cost-centre dimensions). The parts of a line are its amount shared in
 * proportion to the allocated amounts and rounded to the minor unit so they add up to
 * the line exactly: the ERP document totals the hub invoice to the cent.
 */
import { Decimal, ZERO, sum } from '../../engine/decimal.ts';
import { minorUnit, roundPartsToTarget } from '../../engine/money.ts';
import type { Dimensions, MappingIndex } from './line-accounts.ts';

export interface InvoiceLineToPost {
  id: string;
  position: number;
  kind: string;
  category: string | null;
  sku: string | null;
  description: string;
  quantity: Decimal | null;
  amount: Decimal;
  /** Allocated amount per cost node (unrounded), from the line's lineage. */
  allocations: { costNodeId: string; amount: Decimal }[];
  /** 'late-YYYY-MM' on the lines of a late-usage adjustment, which post as their own document. */
  adjustmentId?: string | null;
}

export interface PostingLine {
  lineId: string;
  description: string;
  amount: Decimal;
  account: string;
  taxCode: string | null;
  dimensions: Dimensions | null;
}

/**
 * @example
 *   // a 1.10 storage line allocated 60/40 to two nodes: 0.66 and 0.44, each with its node's dimensions
 *   postingLines([line], 'USD', index, parents)
 */
export function postingLines(lines: readonly InvoiceLineToPost[], currency: string, index: MappingIndex, parentOf: ReadonlyMap<string, string | null>): PostingLine[] {
  const out: PostingLine[] = [];
  for (const line of lines) {
    const revenue = index.revenueAccountOf(line);
    if (!revenue) throw new Error(`invoice line ${line.position} has no revenue account mapped: list /v1/accounting-mappings/problems first`);
    const base = { lineId: line.id, description: line.description, account: revenue.account, taxCode: revenue.taxCode };
    const nodes = line.allocations.filter((a) => !a.amount.isZero());
    const allocated = sum(nodes.map((a) => a.amount));
    if (nodes.length === 0 || allocated.isZero()) {
      out.push({ ...base, amount: line.amount, dimensions: null });
      continue;
    }
    const shares = nodes.map((a) => line.amount.times(a.amount).div(allocated));
    const parts = roundPartsToTarget(shares, line.amount, minorUnit(currency));
    nodes.forEach((node, i) => {
      const dimensions = index.dimensionsOf(node.costNodeId, parentOf);
      if (!dimensions) throw new Error(`cost node ${node.costNodeId} has no cost-centre mapping: list /v1/accounting-mappings/problems first`);
      if (!(parts[i] ?? ZERO).isZero()) out.push({ ...base, amount: parts[i]!, dimensions });
    });
  }
  return out;
}

export const postingTotal = (lines: readonly PostingLine[]): Decimal => sum(lines.map((l) => l.amount));
