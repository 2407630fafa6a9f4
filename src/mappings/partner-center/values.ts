import type { FieldType } from './fields.ts';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
// The portal's CSV downloads are written en-US: a comma between every group of three
// integer digits, a point before the fraction. Any other comma (a decimal comma, a
// European 1.234,56, a misplaced group) is refused: guessing would change the amount.
const GROUPED = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;
// The portal's reconciliation files write dates as M/D/YYYY with an optional H:MM[:SS] [AM|PM].
const PORTAL_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** A vendor decimal kept as its exact text (vendor precision), normalised but never rounded. */
export function parseDecimal(raw: unknown): Parsed<string> {
  const trimmed = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
  const text = trimmed !== undefined && GROUPED.test(trimmed) ? trimmed.replace(/,/g, '') : trimmed;
  if (text === undefined || !DECIMAL.test(text)) return { ok: false, reason: `is not a number: ${JSON.stringify(raw)}` };
  return { ok: true, value: text.startsWith('+') ? text.slice(1) : text };
}

// A file or an export repeats a handful of dates (the usage day, the charge period) on
// every line: each distinct text is parsed once. Bounded, so odd input cannot grow it.
const DATE_MEMO_LIMIT = 4096;
const dateMemo = new Map<string, Parsed<string>>();

/** A Partner Center date or date-time, as an ISO 8601 UTC instant ('2026-10-01T00:00:00.000Z'). */
export function parseVendorDate(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return { ok: false, reason: 'is not a date' };
  let parsed = dateMemo.get(raw);
  if (parsed === undefined) {
    parsed = Object.freeze(parseVendorDateText(raw));
    if (dateMemo.size >= DATE_MEMO_LIMIT) dateMemo.clear();
    dateMemo.set(raw, parsed);
  }
  return parsed;
}

function parseVendorDateText(raw: string): Parsed<string> {
  if (raw.trim() === '') return { ok: false, reason: 'is not a date' };
  const text = raw.trim();
  const portal = PORTAL_DATE.exec(text);
  if (portal) {
    const [, m, d, y, hh = '0', mm = '0', ss = '0', ampm] = portal;
    let hour = Number(hh);
    if (ampm) hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
    const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), hour, Number(mm), Number(ss)));
    if (date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) return { ok: false, reason: `is not a calendar date: ${text}` };
    return { ok: true, value: date.toISOString() };
  }
  if (ISO_DATE.test(text)) {
    // A bare date or a zone-less date-time is UTC, as Partner Center's are.
    const withZone = /Z|[+-]\d{2}:?\d{2}$/.test(text) || text.length === 10 ? text : `${text}Z`;
    const date = new Date(text.length === 10 ? `${text}T00:00:00Z` : withZone.replace(' ', 'T'));
    if (!Number.isNaN(date.getTime())) return { ok: true, value: date.toISOString() };
  }
  return { ok: false, reason: `is not a date (expected M/D/YYYY H:MM or ISO 8601): ${text}` };
}

export function parseList(raw: unknown): Parsed<string[]> {
  if (Array.isArray(raw)) return { ok: true, value: raw.map(String) };
  if (typeof raw !== 'string' || raw.trim() === '') return { ok: true, value: [] };
  const text = raw.trim();
  if (text.startsWith('[')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return { ok: true, value: parsed.map(String) };
    } catch {
      // fall through to the separated form
    }
  }
  return { ok: true, value: text.split(/[;,]/).map((s) => s.trim()).filter(Boolean) };
}

// Lines of one resource carry the same tags: the last text's answer is kept (and copied out).
let lastTagsText: string | undefined;
let lastTags: Parsed<Record<string, string>> | undefined;
const NO_TAGS: Parsed<Record<string, string>> = Object.freeze({ ok: true, value: Object.freeze({}) });

/** Resource tags: a JSON object of strings, or empty. Anything else is refused, not guessed. */
export function parseTags(raw: unknown): Parsed<Record<string, string>> {
  const parsed = parseTagsShared(raw);
  return parsed.ok ? { ok: true, value: { ...parsed.value } } : parsed;
}

/**
 * parseTags without the copy: the same text (or no tags) answers with the same object,
 * which its caller must not change. A caller that derives something from the tags
 * (their COPY text) can keep that beside the object and reuse it while it comes back.
 */
export function parseTagsShared(raw: unknown): Parsed<Record<string, string>> {
  if (raw === undefined || raw === null || raw === '') return NO_TAGS;
  if (typeof raw !== 'string') return parseTagsValue(raw);
  if (raw !== lastTagsText || lastTags === undefined) {
    lastTags = parseTagsValue(raw);
    lastTagsText = raw;
  }
  return lastTags;
}

function parseTagsValue(raw: unknown): Parsed<Record<string, string>> {
  if (raw === undefined || raw === null || raw === '') return { ok: true, value: {} };
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, reason: 'is not a JSON object of tags' };
    }
  }
  if (value === null) return { ok: true, value: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'is not a JSON object of tags' };
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) tags[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return { ok: true, value: tags };
}

export function parseText(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  const text = (typeof raw === 'string' ? raw : typeof raw === 'object' ? JSON.stringify(raw) : String(raw)).trim();
  return text === '' ? null : text;
}

export function parseByType(type: FieldType, raw: unknown): Parsed<unknown> {
  switch (type) {
    case 'decimal':
    case 'percent':
      return parseDecimal(raw);
    case 'date':
      return parseVendorDate(raw);
    case 'list':
      return parseList(raw);
    case 'string':
      return { ok: true, value: parseText(raw) };
  }
}
