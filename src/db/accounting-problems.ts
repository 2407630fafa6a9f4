import type { Kysely } from 'kysely';
import type { ErpSystem, LineRef, MappingIndex } from '../mappings/accounting/line-accounts.ts';
import { costNodeParents, loadMappingIndex } from './accounting-mappings.ts';
import type { Database } from './types.ts';

export interface LineMappingProblem {
  invoiceId: string;
  invoiceNumber: string;
  lineId: string;
  position: number;
  description: string;
  problems: { field: string; reason: string }[];
}

export interface ProblemScope {
  invoiceId?: string;
  billingRunId?: string;
  customerId?: string;
}

/**
 * Every line of the issued invoices in scope that would post to `system` without a
 * mapping: no revenue account for its SKU, category or kind, or a cost node it was
 * allocated to that has no cost-centre dimensions (itself or an ancestor).
 */
export async function lineMappingProblems(db: Kysely<Database>, system: ErpSystem, scope: ProblemScope, limit: number): Promise<{ items: LineMappingProblem[]; truncated: boolean }> {
  let query = db
    .selectFrom('invoice_lines as l')
    .innerJoin('invoices as i', 'i.id', 'l.invoice_id')
    .select(['i.id as invoiceId', 'i.number as invoiceNumber', 'i.customer_id as customerId', 'l.id as lineId', 'l.position', 'l.description', 'l.kind', 'l.category', 'l.sku'])
    .select((eb) =>
      eb
        .selectFrom('invoice_line_sources as s')
        .select((s) => s.fn.agg<string[]>('array_agg', [s.ref('s.cost_node_id')]).distinct().as('nodes'))
        .whereRef('s.invoice_line_id', '=', 'l.id')
        .as('costNodeIds'),
    )
    .where('i.status', '=', 'issued');
  if (scope.invoiceId) query = query.where('i.id', '=', scope.invoiceId);
  if (scope.billingRunId) query = query.where('i.billing_run_id', '=', scope.billingRunId);
  if (scope.customerId) query = query.where('i.customer_id', '=', scope.customerId);
  const lines = await query.orderBy('i.number').orderBy('l.position').execute();

  const index = await loadMappingIndex(db, system);
  const parents = await costNodeParents(db, lines.map((l) => l.customerId));
  return mappingProblemsOf(system, lines, index, parents, limit);
}

export interface LineToCheck extends LineRef {
  invoiceId: string;
  invoiceNumber: string;
  lineId: string;
  position: number;
  description: string;
  costNodeIds: readonly string[] | null;
}

/** The lines (in the order given) that would post without a mapping, at most `limit` of them. */
export function mappingProblemsOf(system: ErpSystem, lines: readonly LineToCheck[], index: MappingIndex, parents: ReadonlyMap<string, string | null>, limit: number): { items: LineMappingProblem[]; truncated: boolean } {
  const items: LineMappingProblem[] = [];
  for (const line of lines) {
    const problems: { field: string; reason: string }[] = [];
    if (!index.revenueAccountOf(line)) {
      const keys = [line.sku && `sku "${line.sku}"`, line.category && `category "${line.category}"`, `line kind "${line.kind}"`].filter(Boolean).join(', ');
      problems.push({ field: 'account', reason: `no ${system} revenue account is mapped for ${keys}` });
    }
    for (const node of line.costNodeIds ?? []) {
      if (!index.dimensionsOf(node, parents)) problems.push({ field: 'costNode', reason: `cost node ${node} (nor any node above it) has no ${system} cost-centre mapping` });
    }
    if (problems.length > 0) {
      items.push({ invoiceId: line.invoiceId, invoiceNumber: line.invoiceNumber, lineId: line.lineId, position: line.position, description: line.description, problems });
      if (items.length > limit) break;
    }
  }
  return { items: items.slice(0, limit), truncated: items.length > limit };
}
