import { fieldIndex, LICENSE_LINE_FIELDS, USAGE_LINE_FIELDS, type FieldMapping } from './fields.ts';

/** The two reconciliation files the portal exports, by what their lines are. */
export type LineKind = 'usage' | 'license';

export const KIND_LABEL: Record<LineKind, string> = {
  usage: 'daily rated usage',
  license: 'licence (new commerce invoice) reconciliation',
};

/**
 * The columns that make a header one kind of file: the kind's distinguishing columns
 * (only daily rated usage has UsageDate, MeterId and EntitlementId; only the licence
 * file has BillableQuantity, TermAndBillingCycle and ReferenceId) plus what a line of
 * that kind cannot be stored without. MeterId is required because the natural key of
 * a usage line needs it: without it two meters of one resource on one day would be
 * taken for one line.
 */
export const REQUIRED_COLUMNS: Record<LineKind, readonly string[]> = {
  usage: ['CustomerId', 'UsageDate', 'MeterId', 'EntitlementId', 'Quantity', 'BillingPreTaxTotal', 'BillingCurrency'],
  license: ['CustomerId', 'ChargeType', 'ChargeStartDate', 'ChargeEndDate', 'BillableQuantity', 'TermAndBillingCycle', 'ReferenceId', 'Subtotal', 'Currency'],
};

const FIELDS: Record<LineKind, readonly FieldMapping[]> = { usage: USAGE_LINE_FIELDS, license: LICENSE_LINE_FIELDS };
const INDEX: Record<LineKind, Map<string, FieldMapping>> = { usage: fieldIndex(USAGE_LINE_FIELDS), license: fieldIndex(LICENSE_LINE_FIELDS) };

export interface DetectedKind {
  kind: LineKind;
  /**
   * The header uses the v1 REST API's names for percentages (`rateOfPartnerEarnedCredit`),
   * which hold fractions (0.15) where files and v2 exports hold percent (15).
   */
  percentAsFraction: boolean;
}

/** The header is not one of the two files: says which columns each kind misses. */
export class HeaderError extends Error {
  readonly field = 'header';
  readonly missingColumns: Record<LineKind, string[]>;
  constructor(reason: string, missingColumns: Record<LineKind, string[]>) {
    super(reason);
    this.name = 'HeaderError';
    this.missingColumns = missingColumns;
  }
}

/** Which of the kind's required columns the header lacks (matched by any of Microsoft's spellings, any case). */
export function missingColumns(kind: LineKind, columns: readonly string[]): string[] {
  const present = new Set<string>();
  for (const column of columns) {
    const field = INDEX[kind].get(column.trim().toLowerCase());
    if (field) present.add(field.column);
  }
  return REQUIRED_COLUMNS[kind].filter((c) => !present.has(c));
}

/**
 * Tell a daily-rated-usage file from a licence reconciliation file by its header (CSV)
 * or by the keys of its first line (JSON lines).
 *
 * @example
 *   detectKind(['PartnerId', 'CustomerId', 'UsageDate', 'MeterId', 'EntitlementId', 'Quantity', 'BillingPreTaxTotal', 'BillingCurrency']);
 *   // → { kind: 'usage', percentAsFraction: false }
 *   detectKind(['Name', 'Amount']); // throws HeaderError naming the missing columns of both kinds
 */
export function detectKind(columns: readonly string[]): DetectedKind {
  const missing = { usage: missingColumns('usage', columns), license: missingColumns('license', columns) };
  const kinds = (['usage', 'license'] as const).filter((k) => missing[k].length === 0);
  if (kinds.length === 1) {
    const kind = kinds[0]!;
    return { kind, percentAsFraction: usesApiPercentNames(kind, columns) };
  }
  if (columns.length === 0 || columns.every((c) => c.trim() === '')) {
    throw new HeaderError('the file has no header row (or no lines)', missing);
  }
  if (kinds.length === 2) {
    throw new HeaderError('the header has the columns of both the usage and the licence file: cannot tell which it is', { usage: [], license: [] });
  }
  throw new HeaderError(
    `not a Partner Center ${KIND_LABEL.usage} file (missing columns: ${missing.usage.join(', ')}) ` +
      `nor a ${KIND_LABEL.license} file (missing columns: ${missing.license.join(', ')})`,
    missing,
  );
}

function usesApiPercentNames(kind: LineKind, columns: readonly string[]): boolean {
  const apiNames = new Set(FIELDS[kind].filter((f) => f.type === 'percent' && f.api !== lowerFirst(f.column)).map((f) => f.api.toLowerCase()));
  return columns.some((c) => apiNames.has(c.trim().toLowerCase()));
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
