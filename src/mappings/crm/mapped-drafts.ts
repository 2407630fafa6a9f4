import { applyMapping } from '../engine/apply.ts';
import type { CheckedMapping } from '../engine/validate.ts';
import type { MappingObject } from '../objects.ts';
import type { LineDraft, QuoteProblem } from './quote-lines.ts';

/**
 * A CRM's lines as quote line drafts through its line mapping. A rule that cannot run on a
 * line (a lookup without the value, say) is a problem of that line naming the version and
 * rule, and the line has no draft: its checks would only repeat the missing value.
 */
export function draftsThroughMapping<T>(
  object: MappingObject,
  mapping: { version: number; checked: CheckedMapping },
  records: readonly T[],
  line: { idOf: (record: T) => string; noun: string },
): { drafts: LineDraft[]; problems: QuoteProblem[] } {
  const problems: QuoteProblem[] = [];
  const drafts: LineDraft[] = [];
  for (const record of records) {
    const id = line.idOf(record);
    const mapped = applyMapping(mapping.checked, object.source, object.target, record);
    const value = (field: string) => {
      const v = mapped.values.get(`line.${field}`);
      return v === undefined || v === null ? null : String(v);
    };
    const name = value('name');
    for (const p of mapped.problems) {
      problems.push({ lineItemId: id, name: name?.trim() || `${line.noun} ${id}`, reason: `line item mapping v${mapping.version} rule ${p.rule} (${p.field}): ${p.reason}` });
    }
    if (mapped.problems.length > 0) continue;
    drafts.push({
      lineItemId: id,
      name,
      sku: value('sku'),
      quantity: value('quantity'),
      price: value('price'),
      discountPerUnit: value('discountPerUnit'),
      discountPercent: value('discountPercent'),
      unitCost: value('unitCost'),
      billingFrequency: value('billingFrequency'),
      term: value('term'),
      source: record,
    });
  }
  return { drafts, problems };
}
