import { hash } from 'node:crypto';
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
  /** Percent fields move two places when the source writes fractions. */
  percent: boolean;
}

/**
 * Per field list, computed once: the column and whether required, a memo of the record
 * keys met so far, and scratch space reused by every call (mapping is synchronous).
 */
interface RecordPlan {
  fields: FieldPlan[];
  /** Lower-cased name (any of the three spellings) → field position. */
  index: Map<string, number>;
  /** Exact record key → field position, or -1: records of one source share their keys. */
  keys: Map<string, number>;
  /** Position of the special field (Tags, ProductQualifiers), whose raw value the caller parses. */
  specialAt: number;
  /** The record's value for each field, valid where `seenIn` holds the current call's stamp. */
  values: unknown[];
  seenIn: number[];
  stamp: number;
  /** The last text seen in each field and what it parsed to: most fields repeat from line to line. */
  lastText: (string | undefined)[];
  lastOutcome: FieldOutcome[];
  /** Every column but the special one, null, in field order. */
  emptyRow: LineRow;
}

/** A field's value read: absent (null), its canonical text, or why it was refused. */
type FieldOutcome = { kind: 'empty' } | { kind: 'text'; text: string | null } | { kind: 'error'; reason: string };

const EMPTY: FieldOutcome = { kind: 'empty' };

/** Tags and ProductQualifiers are structured: the caller parses them, they are no column of the row. */
function isSpecial(field: FieldMapping): boolean {
  return field.column === 'Tags' || field.column === 'ProductQualifiers';
}

function planFor(fields: readonly FieldMapping[], required: string[]): RecordPlan {
  const index = new Map<string, number>();
  for (const [name, field] of fieldIndex(fields)) index.set(name, fields.indexOf(field));
  return {
    fields: fields.map((field) => ({
      field,
      column: columnFor(field),
      required: required.includes(field.column),
      special: isSpecial(field),
      percent: field.type === 'percent',
    })),
    index,
    keys: new Map(),
    specialAt: fields.findIndex(isSpecial),
    values: fields.map(() => undefined),
    seenIn: fields.map(() => 0),
    stamp: 0,
    lastText: fields.map(() => undefined),
    lastOutcome: fields.map(() => EMPTY),
    emptyRow: Object.fromEntries(fields.filter((f) => !isSpecial(f)).map((f) => [columnFor(f), null])),
  };
}

const USAGE_PLAN = planFor(USAGE_LINE_FIELDS, USAGE_REQUIRED);
const LICENSE_PLAN = planFor(LICENSE_LINE_FIELDS, LICENSE_REQUIRED);

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '' || (typeof value === 'string' && value.trim() === '');
}

function outcomeOf(type: FieldMapping['type'], value: unknown): FieldOutcome {
  if (isBlank(value)) return EMPTY;
  const parsed = parseByType(type, value);
  return parsed.ok ? { kind: 'text', text: parsed.value as string | null } : { kind: 'error', reason: parsed.reason };
}

function mapRecord(record: Record<string, unknown>, plan: RecordPlan, options: MapOptions): { row: LineRow; special: unknown; errors: LineProblem[] } {
  // The first of Microsoft's spellings present wins, as the record lists them.
  const stamp = plan.stamp === 0x3fffffff ? resetStamps(plan) : ++plan.stamp;
  const { values, seenIn } = plan;
  for (const key in record) {
    let at = plan.keys.get(key);
    if (at === undefined) {
      at = plan.index.get(key.toLowerCase()) ?? -1;
      if (plan.keys.size < 1000) plan.keys.set(key, at);
    }
    if (at >= 0 && seenIn[at] !== stamp) {
      seenIn[at] = stamp;
      values[at] = record[key];
    }
  }
  // A copy of a row with every column in place: filling existing properties is several
  // times cheaper than adding sixty, one by one, to an empty object.
  const row: LineRow = { ...plan.emptyRow };
  const errors: LineProblem[] = [];
  const { fields, lastText, lastOutcome } = plan;
  for (let i = 0; i < fields.length; i++) {
    const { field, column, required, special, percent } = fields[i]!;
    const value = seenIn[i] === stamp ? values[i] : undefined;
    let outcome: FieldOutcome;
    if (typeof value === 'string') {
      // Parsing is a pure function of the text: reuse the previous line's answer when the text repeats.
      if (value === lastText[i]) outcome = lastOutcome[i]!;
      else {
        outcome = special ? (isBlank(value) ? EMPTY : { kind: 'text', text: null }) : outcomeOf(field.type, value);
        lastText[i] = value;
        lastOutcome[i] = outcome;
      }
    } else if (isBlank(value)) outcome = EMPTY;
    else outcome = special ? { kind: 'text', text: null } : outcomeOf(field.type, value);
    if (outcome.kind === 'empty') {
      if (required) errors.push({ field: field.column, reason: 'is required' });
      row[column] = null;
      continue;
    }
    if (special) continue;
    if (outcome.kind === 'error') {
      errors.push({ field: field.column, reason: outcome.reason });
      continue;
    }
    let text = outcome.text;
    if (percent && options.percentAsFraction && text !== null) text = shiftDecimal(text, 2);
    row[column] = text;
  }
  const special = plan.specialAt >= 0 && seenIn[plan.specialAt] === stamp ? values[plan.specialAt] : undefined;
  return { row, special, errors };
}

function resetStamps(plan: RecordPlan): number {
  plan.seenIn.fill(0);
  plan.stamp = 1;
  return 1;
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
  let joined = parts[0] ?? '';
  for (let i = 1; i < parts.length; i++) joined += '\u001f' + (parts[i] ?? '');
  return hash('sha256', joined, 'base64url').slice(0, 32);
}

let lastJsonText: string | null = null;
let lastNormalised: string | null = null;

/** AdditionalInfo in one canonical spelling (it is part of the key); it repeats from line to line, so the last answer is kept. */
function normalisedJsonText(text: string | null): string | null {
  if (text === null) return null;
  if (text === lastJsonText) return lastNormalised;
  let normalised: string;
  try {
    normalised = canonicalJson(JSON.parse(text));
  } catch {
    normalised = text;
  }
  lastJsonText = text;
  lastNormalised = normalised;
  return normalised;
}

/**
 * One daily rated usage line, from a CSV row, a v1 API item or a v2 export line (any
 * of Microsoft's three spellings of each field). The natural key leaves out the
 * invoice number and the amounts: the unbilled line and its later billed version are
 * the same line, revised, not two.
 */
export function mapUsageLine(record: Record<string, unknown>, options: MapOptions = {}): MappedLine {
  const { row, special, errors } = mapRecord(record, USAGE_PLAN, options);
  const tags = parseTags(special);
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
  const { row, special, errors } = mapRecord(record, LICENSE_PLAN, options);
  if (errors.length > 0) return { ok: false, errors };
  const qualifiers = special;
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

