import type { FieldSpec, JsonRecord, RecordSchema } from './types.ts';

// Dot paths into plain records: `deal.properties.amount`.

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** True when every segment is a plain name (no empty segment, index or wildcard). */
export function isPath(path: string): boolean {
  return path.length > 0 && path.length <= 200 && path.split('.').every((s) => SEGMENT.test(s));
}

/** The value at a path; undefined when any step is missing. */
export function readPath(record: unknown, path: string): unknown {
  let at: unknown = record;
  for (const segment of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at)) return undefined;
    if (!Object.hasOwn(at, segment)) return undefined;
    at = (at as JsonRecord)[segment];
  }
  return at;
}

/** Sets a value at a path, creating the objects on the way. */
export function writePath(record: JsonRecord, path: string, value: unknown): void {
  const segments = path.split('.');
  let at = record;
  for (const segment of segments.slice(0, -1)) {
    const next = at[segment];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) at[segment] = {};
    at = at[segment] as JsonRecord;
  }
  at[segments[segments.length - 1]!] = value;
}

/**
 * The schema's field for a path: an exact entry, else a `parent.*` entry admitting one
 * more segment (a vendor's custom field), or for a top-level name a `*` entry
 * (Salesforce's custom fields sit beside the standard ones).
 *
 * @example fieldOf(hubspotDeal, 'deal.properties.azure_budget') // the 'deal.properties.*' spec
 */
export function fieldOf(schema: RecordSchema, path: string): FieldSpec | undefined {
  if (!isPath(path)) return undefined;
  const exact = schema.fields[path];
  if (exact) return exact;
  const cut = path.lastIndexOf('.');
  return cut > 0 ? schema.fields[`${path.slice(0, cut)}.*`] : schema.fields['*'];
}
