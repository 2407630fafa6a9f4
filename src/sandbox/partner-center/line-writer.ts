/**
 * Writes billing line records (keyed by reconciliation-file column) as the JSON
 * Microsoft serves: v1 REST items (camelCase plus `attributes`) or v2 export
 * lines (PascalCase). Field order follows the documented column order.
 *
 * A `LineTemplate` pre-renders everything that is the same for many lines (one
 * Azure resource in one month) so that, per line, only the few changing values
 * are formatted: the benchmark streams millions of lines through this.
 */
import { Decimal } from 'decimal.js';
import { BILLING_PROVIDER, type FieldMapping } from '../../mappings/partner-center/fields.ts';
import { decimalToken } from './json.ts';
import type { LineRecord, LineValue } from './interfaces.ts';

export type LineFormat = 'api' | 'blob-full' | 'blob-basic';

export interface LineWriterSpec {
  fields: readonly FieldMapping[];
  format: LineFormat;
  /** v1 only: `invoiceLineItemType`, e.g. 'usage_line_items'. */
  apiItemType: string;
  /** v1 only: `attributes.objectType`. */
  apiObjectType: string;
}

interface Slot {
  field: FieldMapping;
  prefix: string;
}

export class LineWriter {
  readonly #slots: Slot[];
  readonly #format: LineFormat;
  readonly #suffix: string;

  constructor(spec: LineWriterSpec) {
    this.#format = spec.format;
    const chosen = spec.format === 'api' ? spec.fields : spec.fields.filter((f) => f.blob !== null && (spec.format === 'blob-full' || f.basic));
    this.#slots = chosen.map((f, i) => ({
      field: f,
      prefix: `${i === 0 ? '{' : ','}${JSON.stringify(spec.format === 'api' ? f.api : f.blob)}:`,
    }));
    this.#suffix =
      spec.format === 'api'
        ? `,"invoiceLineItemType":${JSON.stringify(spec.apiItemType)},"billingProvider":"${BILLING_PROVIDER}","attributes":{"objectType":${JSON.stringify(spec.apiObjectType)}}}`
        : '}';
  }

  /** Formats one value as its JSON token for this writer's format. */
  token(field: FieldMapping, value: LineValue | undefined): string {
    if (value === undefined) return field.type === 'decimal' || field.type === 'percent' ? '0' : '""';
    if (Decimal.isDecimal(value)) {
      if (field.type === 'percent' && this.#format === 'api') return decimalToken(value.div(100));
      return decimalToken(value);
    }
    return JSON.stringify(value);
  }

  write(record: LineRecord): string {
    let out = '';
    for (const slot of this.#slots) out += slot.prefix + this.token(slot.field, record[slot.field.column]);
    return out + this.#suffix;
  }

  /**
   * Pre-renders `record` leaving holes for `dynamicColumns`, which
   * `LineTemplate.renderTokens` fills per line.
   */
  template(record: LineRecord, dynamicColumns: readonly string[]): LineTemplate {
    const dynamic = new Set(dynamicColumns);
    const segments: string[] = [];
    const holes: FieldMapping[] = [];
    let pending = '';
    for (const slot of this.#slots) {
      if (dynamic.has(slot.field.column)) {
        segments.push(pending + slot.prefix);
        holes.push(slot.field);
        pending = '';
      } else {
        pending += slot.prefix + this.token(slot.field, record[slot.field.column]);
      }
    }
    segments.push(pending + this.#suffix);
    return new LineTemplate(segments, holes);
  }
}

export class LineTemplate {
  readonly #segments: string[];
  readonly #holes: FieldMapping[];
  /** Columns the template still needs, in render order (basic drops some). */
  readonly holeColumns: readonly string[];

  constructor(segments: string[], holes: FieldMapping[]) {
    this.#segments = segments;
    this.#holes = holes;
    this.holeColumns = holes.map((h) => h.column);
  }

  /** Fills the holes with values the caller already formatted as JSON tokens (missing ones become ""). */
  renderTokens(tokens: Readonly<Record<string, string>>): string {
    let out = this.#segments[0] ?? '';
    for (let i = 0; i < this.#holes.length; i++) out += (tokens[(this.#holes[i] as FieldMapping).column] ?? '""') + (this.#segments[i + 1] ?? '');
    return out;
  }
}
