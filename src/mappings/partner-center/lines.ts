import { hash } from 'node:crypto';
import { canonicalJson } from '../../db/audit.ts';
import { fieldIndex, LICENSE_LINE_FIELDS, USAGE_LINE_FIELDS, type FieldMapping } from './fields.ts';
import { parseByType, parseTagsShared } from './values.ts';

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

/** A usage line mapping compiled to what it changes (see usage-compiled.ts). */
export interface CompiledUsageMapping {
  version: number;
  /**
   * Rewrites the line's columns (`values`, USAGE_COLUMNS' order) in place and returns its
   * tags (the same object while the result is the same, so the caller can tell with one
   * comparison), or the problems of the rules that could not run on it.
   */
  apply(values: (string | null)[], tags: Readonly<Record<string, string>>): Readonly<Record<string, string>> | LineProblem[];
}

/** A licence line mapping compiled to what it changes (see license-compiled.ts). */
export interface CompiledLicenseMapping {
  version: number;
  /** Rewrites the line's descriptive columns in place, or returns the problems of the rules that could not run on it. */
  apply(row: LineRow): LineProblem[] | null;
}

export interface MapOptions {
  /** The v1 REST API writes percentages as fractions (0.15); files and v2 exports as percent (15). */
  percentAsFraction?: boolean;
  /** The connection's usage line mapping, where it differs from the built-in reading (usage lines only). */
  usageMapping?: CompiledUsageMapping | null;
  /** The connection's licence line mapping, where it differs from the built-in reading (licence lines only). */
  licenseMapping?: CompiledLicenseMapping | null;
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
  /** Each field's position among the columns (the special one: -1). */
  columnAt: number[];
  /** The columns' names and the last record's values for them, in column order (scratch space). */
  columns: string[];
  texts: (string | null)[];
  /** The last record's keys in its order, and each one's field position: the next record most likely has the same. */
  lastKeys: string[];
  lastKeyAt: number[];
  /** Whether the last record's special field was empty (its row then holds the column, null). */
  specialEmpty: boolean;
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
  const columns = fields.filter((f) => !isSpecial(f)).map(columnFor);
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
    emptyRow: Object.fromEntries(columns.map((c) => [c, null])),
    columnAt: fields.map((f) => (isSpecial(f) ? -1 : columns.indexOf(columnFor(f)))),
    columns,
    texts: columns.map(() => null),
    lastKeys: [],
    lastKeyAt: [],
    specialEmpty: false,
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

/**
 * Read a record's fields into `plan.texts` (column order; valid until the next call)
 * and return what was wrong with it (an empty list: nothing) and the special field's
 * raw value. A text repeated from the previous record comes back as the same string.
 */
function mapFields(record: Record<string, unknown>, plan: RecordPlan, options: MapOptions): { special: unknown; errors: LineProblem[] } {
  // The first of Microsoft's spellings present wins, as the record lists them.
  const stamp = plan.stamp === 0x3fffffff ? resetStamps(plan) : ++plan.stamp;
  const { values, seenIn, lastKeys, lastKeyAt } = plan;
  let k = 0;
  for (const key in record) {
    // Records of one source list the same keys in the same order: a comparison, not a lookup.
    let at: number | undefined;
    if (lastKeys[k] === key) at = lastKeyAt[k]!;
    else {
      at = plan.keys.get(key);
      if (at === undefined) {
        at = plan.index.get(key.toLowerCase()) ?? -1;
        if (plan.keys.size < 1000) plan.keys.set(key, at);
      }
      if (k < 1000) {
        lastKeys[k] = key;
        lastKeyAt[k] = at;
      }
    }
    k++;
    if (at >= 0 && seenIn[at] !== stamp) {
      seenIn[at] = stamp;
      values[at] = record[key];
    }
  }
  const errors: LineProblem[] = [];
  plan.specialEmpty = false;
  const { fields, lastText, lastOutcome, columnAt, texts } = plan;
  for (let i = 0; i < fields.length; i++) {
    const { field, required, special, percent } = fields[i]!;
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
    if (special) {
      if (outcome.kind === 'empty') {
        plan.specialEmpty = true;
        if (required) errors.push({ field: field.column, reason: 'is required' });
      }
      continue;
    }
    const column = columnAt[i]!;
    if (outcome.kind === 'empty') {
      if (required) errors.push({ field: field.column, reason: 'is required' });
      texts[column] = null;
    } else if (outcome.kind === 'error') {
      errors.push({ field: field.column, reason: outcome.reason });
      texts[column] = null;
    } else {
      let text = outcome.text;
      if (percent && options.percentAsFraction && text !== null) text = shiftDecimal(text, 2);
      texts[column] = text;
    }
  }
  const special = plan.specialAt >= 0 && seenIn[plan.specialAt] === stamp ? values[plan.specialAt] : undefined;
  return { special, errors };
}

/** A row of the plan's columns, from the texts mapFields left (with the special column, null, when that field was empty). */
function rowOf(plan: RecordPlan): LineRow {
  // A copy of a row with every column in place: filling existing properties is several
  // times cheaper than adding sixty, one by one, to an empty object.
  const row: LineRow = { ...plan.emptyRow };
  const { columns, texts } = plan;
  for (let j = 0; j < columns.length; j++) row[columns[j]!] = texts[j]!;
  if (plan.specialEmpty) row[plan.fields[plan.specialAt]!.column] = null;
  return row;
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

/** A usage line's columns (USAGE_COLUMNS' values, in that order), its natural key and its tags. */
export interface UsageLineValues {
  ok: true;
  /** Scratch space, overwritten by the next line mapped: read it (or copy it) before. */
  values: readonly (string | null)[];
  lineKey: string;
  /** Shared with the lines before it that had the same tags: never changed by the caller. */
  tags: Readonly<Record<string, string>>;
}

const U = Object.fromEntries(USAGE_COLUMNS.map((c, j) => [c, j])) as Record<string, number>;
const KEY_HEAD = ['customer_tenant_id', 'entitlement_id', 'subscription_id', 'product_id', 'sku_id', 'availability_id', 'meter_id'].map((c) => U[c]!);
const KEY_TAIL = ['charge_type', 'unit_type', 'benefit_order_id', 'benefit_id', 'additional_info'].map((c) => U[c]!);

// The previous line's derived texts, each with what it was derived from: a resource's
// lines differ in the day and the amounts, so these are nearly always reused as they are.
const derived = {
  day: { from: undefined as string | undefined, to: '' },
  tenant: { from: undefined as string | undefined, to: '' },
  resource: { from: undefined as string | null | undefined, to: '' },
  head: { from: KEY_HEAD.map((): string | null | undefined => undefined), to: '' },
  tail: { from: KEY_TAIL.map((): string | null | undefined => undefined), to: '' },
};

/** Key parts joined as keyOf joins them, kept while the parts are the same. */
function joinedParts(memo: { from: (string | null | undefined)[]; to: string }, values: readonly (string | null)[], at: number[]): string {
  let same = true;
  for (let i = 0; i < at.length; i++) {
    if (values[at[i]!] !== memo.from[i]) {
      same = false;
      break;
    }
  }
  if (same) return memo.to;
  let joined = values[at[0]!] ?? '';
  memo.from[0] = values[at[0]!];
  for (let i = 1; i < at.length; i++) {
    memo.from[i] = values[at[i]!];
    joined += '\u001f' + (values[at[i]!] ?? '');
  }
  memo.to = joined;
  return joined;
}

/**
 * mapUsageLine without the row: the columns as an array, for a caller that encodes the
 * line at once (a stream of a million lines). Repeated texts come back as the same
 * strings, so the caller can tell a repeated value with one comparison.
 *
 * @example
 *   const line = mapUsageValues(record);
 *   if (line.ok) encodeUsageValues(line); // read line.values before the next line is mapped
 */
export function mapUsageValues(record: Record<string, unknown>, options: MapOptions = {}): UsageLineValues | { ok: false; errors: LineProblem[] } {
  const { special, errors } = mapFields(record, USAGE_PLAN, options);
  const tags = parseTagsShared(special);
  if (!tags.ok) errors.push({ field: 'Tags', reason: tags.reason });
  if (errors.length > 0 || !tags.ok) return { ok: false, errors };
  const values = USAGE_PLAN.texts;
  const rawDay = values[U.usage_date!]!;
  if (rawDay !== derived.day.from) derived.day = { from: rawDay, to: rawDay.slice(0, 10) };
  values[U.usage_date!] = derived.day.to;
  const rawTenant = values[U.customer_tenant_id!]!;
  if (rawTenant !== derived.tenant.from) derived.tenant = { from: rawTenant, to: rawTenant.toLowerCase() };
  values[U.customer_tenant_id!] = derived.tenant.to;
  values[U.additional_info!] = normalisedJsonText(values[U.additional_info!] ?? null);
  const rawResource = values[U.resource_uri!];
  if (rawResource !== derived.resource.from) derived.resource = { from: rawResource, to: rawResource?.toLowerCase() ?? '' };
  // keyOf's parts: tenant … meter, the resource (lower case), the day, charge type … additional info.
  const joined = `${joinedParts(derived.head, values, KEY_HEAD)}\u001f${derived.resource.to}\u001f${derived.day.to}\u001f${joinedParts(derived.tail, values, KEY_TAIL)}`;
  const lineKey = hash('sha256', joined, 'base64url').slice(0, 32);
  // After the key: a mapping changes what the line says, never which line it is.
  if (!options.usageMapping) return { ok: true, values, lineKey, tags: tags.value };
  const mapped = options.usageMapping.apply(values, tags.value);
  if (Array.isArray(mapped)) return { ok: false, errors: mapped };
  return { ok: true, values, lineKey, tags: mapped as Readonly<Record<string, string>> };
}

/**
 * One daily rated usage line, from a CSV row, a v1 API item or a v2 export line (any
 * of Microsoft's three spellings of each field). The natural key leaves out the
 * invoice number and the amounts: the unbilled line and its later billed version are
 * the same line, revised, not two.
 */
export function mapUsageLine(record: Record<string, unknown>, options: MapOptions = {}): MappedLine {
  const mapped = mapUsageValues(record, options);
  if (!mapped.ok) return mapped;
  const row = rowOf(USAGE_PLAN);
  row.line_key = mapped.lineKey;
  return { ok: true, row, tags: { ...mapped.tags }, productQualifiers: [] };
}

/** One new-commerce reconciliation line (billed or unbilled), keyed so a billed line replaces its unbilled estimate. */
export function mapLicenseLine(record: Record<string, unknown>, options: MapOptions = {}): MappedLine {
  const { special, errors } = mapFields(record, LICENSE_PLAN, options);
  if (errors.length > 0) return { ok: false, errors };
  const row = rowOf(LICENSE_PLAN);
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
  // After the key: a mapping changes what the line says, never which line it is.
  const problems = options.licenseMapping?.apply(row);
  if (problems) return { ok: false, errors: problems };
  return { ok: true, row, tags: {}, productQualifiers: parsedQualifiers.ok ? (parsedQualifiers.value as string[]) : [] };
}

