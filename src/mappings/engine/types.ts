import type { Decimal } from '../../engine/decimal.ts';

// The shared types of the mapping engine. A mapping is data: rules that say which
// source path feeds which target path and how the value is transformed on the way.

/** The types a field can have. Vendors send most values as text; the schema says what the text means. */
export type FieldType = 'string' | 'decimal' | 'integer' | 'boolean' | 'date' | 'datetime';

export const FIELD_TYPES: readonly FieldType[] = ['string', 'decimal', 'integer', 'boolean', 'date', 'datetime'];

export interface FieldSpec {
  type: FieldType;
  /** The only values the field takes (string fields). */
  enum?: readonly string[];
  description?: string;
}

/**
 * The fields of one record shape (a vendor object, or the hub's canonical object), by
 * dot path. A key ending in `.*` admits any one more segment, for vendor custom fields
 * (HubSpot's `deal.properties.*`); a key `*` admits any top-level name.
 */
export interface RecordSchema {
  name: string;
  fields: Readonly<Record<string, FieldSpec>>;
}

/** A constant as a rule writes it: JSON text, a boolean or null. Numbers are strings, as money always is. */
export type Scalar = string | boolean | null;

export type Rounding = 'half_up' | 'half_even' | 'down' | 'up' | 'floor' | 'ceil';

export type Transform =
  | { type: 'copy' }
  | { type: 'constant'; value: Scalar }
  | { type: 'lookup'; table: Readonly<Record<string, Scalar>>; fallback?: Scalar }
  | { type: 'default'; value: Scalar }
  | { type: 'decimal'; scale: number; rounding?: Rounding }
  | { type: 'unit'; from: string; to: string }
  | { type: 'datetime'; to: 'date' | 'datetime' | 'epoch_ms' | 'local'; timeZone?: string }
  | { type: 'template'; template: string }
  | { type: 'concat'; sources: readonly string[]; separator?: string }
  | { type: 'split'; separator: string; index: number }
  | { type: 'enum'; map: Readonly<Record<string, string>> }
  | { type: 'expression'; expression: string };

export type TransformType = Transform['type'];

export interface MappingRule {
  /** Names the rule in every error, e.g. "azure-budget". */
  id: string;
  /** The canonical (or, outbound, vendor) path the rule writes. */
  target: string;
  /** The path read; template, concat and expression name theirs inside the transform. */
  source?: string;
  transform: Transform;
}

export interface Mapping {
  rules: readonly MappingRule[];
}

/** A value while a mapping runs: Decimal for decimal and integer, Date for datetime, 'YYYY-MM-DD' for date. */
export type Value = string | boolean | Decimal | Date | null;

/** What is wrong with one rule: the rule, the field and why. */
export interface RuleProblem {
  rule: string;
  field: string;
  reason: string;
}

/** A plain JSON record, as vendors send and the API returns. */
export type JsonRecord = { [key: string]: unknown };
