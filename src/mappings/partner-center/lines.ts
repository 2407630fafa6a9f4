import { createHash } from 'node:crypto';
import { canonicalJson } from '../../db/audit.ts';
import { fieldIndex, LICENSE_LINE_FIELDS, USAGE_LINE_FIELDS, type FieldMapping } from './fields.ts';
import { parseByType, parseTags } from './values.ts';

/** A canonical line: column name → exact vendor value as text (decimals unrounded), or null. */
export type LineRow = Record<string, string | null>;

export interface LineProblem {
  field: string;
  reason: string;
}

export type MappedLine = { ok: true; row: LineRow; tags: Record<string, string>; productQualifiers: string[] } | { ok: false; errors: LineProblem[] };

// Our columns are the documented file columns in snake_case, except CustomerId: the
// hub's own customer id is `customer_id`, so Microsoft's tenant id is `customer_tenant_id`.
const COLUMN_OVERRIDES: Record<string, string> = { CustomerId: 'customer_tenant_id' };

export function columnFor(field: FieldMapping): string {
  return (
    COLUMN_OVERRIDES[field.column] ??
    field.column
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
      .toLowerCase()
  );
}

export const USAGE_COLUMNS = USAGE_LINE_FIELDS.filter((f) => f.column !== 'Tags').map(columnFor);
export const LICENSE_COLUMNS = LICENSE_LINE_FIELDS.filter((f) => f.column !== 'ProductQualifiers').map(columnFor);

const USAGE_REQUIRED = ['CustomerId', 'UsageDate', 'Quantity', 'BillingPreTaxTotal', 'BillingCurrency'];
const LICENSE_REQUIRED = ['CustomerId', 'ChargeType', 'ChargeStartDate', 'ChargeEndDate', 'Subtotal', 'Currency'];

export interface MapOptions {
  /** The v1 REST API writes percentages as fractions (0.15); files and v2 exports as percent (15). */
  percentAsFraction?: boolean;
}

interface FieldPlan {
  field: FieldMapping;
  column: string;
  required: boolean;
  special: boolean;
}

/** Per field list, computed once: the column, whether required, and a memo of the keys met so far. */
interface RecordPlan {
  fields: FieldPlan[];
  index: Map<string, FieldMapping>;
  /** Exact record key → mapping (or null): records of one source share their keys. */
  keys: Map<string, FieldMapping | null>;
}

function planFor(fields: readonly FieldMapping[], required: string[]): RecordPlan {
  return {
    fields: fields.map((field) => ({
      field,
      column: columnFor(field),
      required: required.includes(field.column),
      special: field.column === 'Tags' || field.column === 'ProductQualifiers',
    })),
    index: fieldIndex(fields),
    keys: new Map(),
  };
}

const USAGE_PLAN = planFor(USAGE_LINE_FIELDS, USAGE_REQUIRED);
const LICENSE_PLAN = planFor(LICENSE_LINE_FIELDS, LICENSE_REQUIRED);

function mapRecord(record: Record<string, unknown>, plan: RecordPlan, options: MapOptions): { row: LineRow; raw: Map<string, unknown>; errors: LineProblem[] } {
  const raw = new Map<string, unknown>();
  for (const key in record) {
    let field = plan.keys.get(key);
    if (field === undefined) {
      field = plan.index.get(key.toLowerCase()) ?? null;
      if (plan.keys.size < 1000) plan.keys.set(key, field);
    }
    if (field && !raw.has(field.column)) raw.set(field.column, record[key]);
  }
  const row: LineRow = {};
  const errors: LineProblem[] = [];
  for (const { field, column, required, special } of plan.fields) {
    const value = raw.get(field.column);
    if (value === undefined || value === null || value === '' || (typeof value === 'string' && value.trim() === '')) {
      if (required) errors.push({ field: field.column, reason: 'is required' });
      row[column] = null;
      continue;
    }
    if (special) continue;
    const parsed = parseByType(field.type, value);
    if (!parsed.ok) {
      errors.push({ field: field.column, reason: parsed.reason });
      continue;
    }
    let text = parsed.value as string | null;
    if (field.type === 'percent' && options.percentAsFraction && text !== null) text = shiftDecimal(text, 2);
    row[column] = text;
  }
  return { row, raw, errors };
}

/** Multiply a decimal text by 10^places without going through a float. */
function shiftDecimal(text: string, places: number): string {
  const negative = text.startsWith('-');
  const [int = '0', frac = ''] = text.replace(/^-/, '').split('.');
  const padded = frac.padEnd(places, '0');
  const whole = (int + padded.slice(0, places)).replace(/^0+(?=\d)/, '');
  const rest = padded.slice(places);
  return `${negative ? '-' : ''}${whole}${rest ? `.${rest}` : ''}`;
}

function keyOf(parts: (string | null | undefined)[]): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u001f')).digest('base64url').slice(0, 32);
}

function normalisedJsonText(text: string | null): string | null {
  if (text === null) return null;
  try {
    return canonicalJson(JSON.parse(text));
  } catch {
    return text;
  }
}

/**
 * One daily rated usage line, from a CSV row, a v1 API item or a v2 export line (any
 * of Microsoft's three spellings of each field). The natural key leaves out the
 * invoice number and the amounts: the unbilled line and its later billed version are
 * the same line, revised, not two.
 */
export function mapUsageLine(record: Record<string, unknown>, options: MapOptions = {}): MappedLine {
  const { row, raw, errors } = mapRecord(record, USAGE_PLAN, options);
  const tags = parseTags(raw.get('Tags'));
  if (!tags.ok) errors.push({ field: 'Tags', reason: tags.reason });
  if (errors.length > 0 || !tags.ok) return { ok: false, errors };
  row.usage_date = row.usage_date!.slice(0, 10);
  row.customer_tenant_id = row.customer_tenant_id!.toLowerCase();
  row.additional_info = normalisedJsonText(row.additional_info ?? null);
  row.line_key = keyOf([
    row.customer_tenant_id,
    row.entitlement_id,
    row.subscription_id,
    row.product_id,
    row.sku_id,
    row.availability_id,
    row.meter_id,
    row.resource_uri?.toLowerCase(),
    row.usage_date,
    row.charge_type,
    row.unit_type,
    row.benefit_order_id,
    row.benefit_id,
    row.additional_info,
  ]);
  return { ok: true, row, tags: tags.value, productQualifiers: [] };
}

/** One new-commerce reconciliation line (billed or unbilled), keyed so a billed line replaces its unbilled estimate. */
export function mapLicenseLine(record: Record<string, unknown>, options: MapOptions = {}): MappedLine {
  const { row, raw, errors } = mapRecord(record, LICENSE_PLAN, options);
  if (errors.length > 0) return { ok: false, errors };
  const qualifiers = raw.get('ProductQualifiers');
  const parsedQualifiers = parseByType('list', qualifiers);
  row.customer_tenant_id = row.customer_tenant_id!.toLowerCase();
  row.charge_period = row.charge_start_date!.slice(0, 7);
  row.line_key = keyOf([
    row.customer_tenant_id,
    row.subscription_id,
    row.order_id,
    row.product_id,
    row.sku_id,
    row.availability_id,
    row.charge_type,
    row.charge_start_date,
    row.charge_end_date,
    row.reference_id,
    row.billable_quantity ?? row.quantity,
    row.effective_unit_price,
  ]);
  return { ok: true, row, tags: {}, productQualifiers: parsedQualifiers.ok ? (parsedQualifiers.value as string[]) : [] };
}

