import type { MappingRule } from './types.ts';

// The inverse of a rule, where one exists: the rule that maps the target back to the
// source, so the same mapping serves the outbound direction. Applying a rule and then
// its inverse returns the input (the property tests hold the engine to that).

/**
 * The inverse of a rule, or the reason it has none.
 *
 * @example invertRule({ id: 'm', source: 'a.pct', target: 'b.ratio', transform: { type: 'unit', from: 'percent', to: 'ratio' } })
 *   // { id: 'm', source: 'b.ratio', target: 'a.pct', transform: { type: 'unit', from: 'ratio', to: 'percent' } }
 */
export function invertRule(rule: MappingRule): MappingRule | { reason: string } {
  const t = rule.transform;
  const back = (transform: MappingRule['transform']): MappingRule => ({ id: rule.id, source: rule.target, target: rule.source!, transform });
  if (rule.source === undefined) return { reason: `a ${t.type} rule reads no single source to write back to` };
  switch (t.type) {
    case 'copy':
      return back({ type: 'copy' });
    case 'unit':
      return back({ type: 'unit', from: t.to, to: t.from });
    case 'enum':
    case 'lookup': {
      const table = t.type === 'enum' ? t.map : t.table;
      const inverse: Record<string, string> = {};
      for (const [key, value] of Object.entries(table)) {
        if (typeof value !== 'string') return { reason: `maps ${JSON.stringify(key)} to ${JSON.stringify(value)}, which is not text` };
        if (Object.hasOwn(inverse, value)) return { reason: `maps both ${JSON.stringify(inverse[value])} and ${JSON.stringify(key)} to ${JSON.stringify(value)}` };
        inverse[value] = key;
      }
      return back({ type: 'enum', map: inverse });
    }
    case 'datetime':
      if (t.to === 'epoch_ms' || t.to === 'datetime') return back({ type: 'datetime', to: t.to === 'epoch_ms' ? 'datetime' : 'epoch_ms' });
      return { reason: `a datetime rule to ${t.to} drops the time of day` };
    default:
      return { reason: `a ${t.type} rule loses information (rounding, joining, constants or defaults), so it has no inverse` };
  }
}
