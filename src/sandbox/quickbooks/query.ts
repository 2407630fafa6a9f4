/**
 * The part of QuickBooks' query language the sandbox understands:
 * `SELECT * | count(*) FROM Entity [WHERE f = 'v' [AND ...]] [STARTPOSITION n] [MAXRESULTS n]`
 * with `=` only (what node-quickbooks' find* methods send for equality criteria).
 * Anything else is a 400 QueryParserError, as QuickBooks answers it.
 */
import { QboFault, type QboObject, type QuickBooksCompany } from './company.ts';

const STATEMENT = /^\s*select\s+(\*|count\(\*\))\s+from\s+(\w+)(?:\s+where\s+(.+?))?(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?\s*$/i;
const CONDITION = /^\s*(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))\s*$/;

const parserError = (detail: string) => new QboFault([{ Message: 'Error parsing query', Detail: `QueryParserError: ${detail}`, code: '4000' }]);

/** @example runQuery(company, "select * from Invoice where DocNumber = 'INV-1' startposition 1 maxresults 1000") // { QueryResponse: { Invoice: [...], startPosition: 1, maxResults: 1 } } */
export function runQuery(company: QuickBooksCompany, statement: string): QboObject {
  const m = STATEMENT.exec(statement);
  if (!m) throw parserError(`Encountered an unsupported statement: ${statement}`);
  const [, what, entity, where, start, max] = m;
  const conditions = (where ? where.split(/\s+and\s+/i) : []).map((c) => {
    const parsed = CONDITION.exec(c);
    if (!parsed) throw parserError(`Encountered an unsupported condition: ${c}`);
    return { field: parsed[1]!, value: parsed[2] !== undefined ? parsed[2].replace(/\\(.)/g, '$1') : parsed[3]! };
  });
  const rows = company.list(entity!).filter((row) => conditions.every((c) => String(valueOf(row, c.field)) === c.value));
  const name = company.collections.get(entity!.toLowerCase())?.name ?? canonical(entity!);
  if (what !== '*') return { QueryResponse: { totalCount: rows.length } };
  const startPosition = Number(start ?? 1);
  const maxResults = Math.min(Number(max ?? 100), 1000);
  const page = rows.slice(startPosition - 1, startPosition - 1 + maxResults);
  return { QueryResponse: page.length === 0 ? {} : { [name]: page, startPosition, maxResults: page.length } };
}

/** A field, or a ref's value (`CustomerRef` = its id). */
function valueOf(row: QboObject, field: string): unknown {
  const v = row[field];
  return v && typeof v === 'object' ? (v as { value?: unknown }).value : v;
}

function canonical(entity: string): string {
  const names: Record<string, string> = { account: 'Account', class: 'Class', department: 'Department', customer: 'Customer', item: 'Item', invoice: 'Invoice' };
  return names[entity.toLowerCase()] ?? entity;
}
