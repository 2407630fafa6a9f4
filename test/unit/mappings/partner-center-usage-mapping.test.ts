import { describe, expect, it } from 'vitest';
import { versionedMapping } from '../../../src/mappings/checked.ts';
import type { MappingRule } from '../../../src/mappings/engine/types.ts';
import { mappingObject } from '../../../src/mappings/objects.ts';
import { mapUsageLine } from '../../../src/mappings/partner-center/lines.ts';
import { compileUsageMapping } from '../../../src/mappings/partner-center/usage-compiled.ts';
import { usageRecord } from '../../helpers/usage-fixtures.ts';

// A usage line mapping is compiled once per export into the rules that differ from the
// connector's own reading: the default compiles to nothing; a changed rule rewrites what
// the line says (resource group, tags, …) after its natural key is made, never the key.

const OBJECT = mappingObject('partner-center', 'usage_line')!;
const compiled = (version: number, rules: readonly MappingRule[]) => compileUsageMapping(versionedMapping(OBJECT, version, rules));
const replacing = (rule: MappingRule) => OBJECT.defaultRules.map((r) => (r.target === rule.target ? rule : r));
const costCenterAsGroup: MappingRule = { id: 'resource-group', target: 'usage.resourceGroup', transform: { type: 'expression', expression: 'coalesce(Tags.costCenter, ResourceGroup)' } };

describe('the Partner Center usage line mapping, compiled', () => {
  it('compiles the built-in mapping to nothing: no work per line', () => {
    expect(compiled(0, OBJECT.defaultRules)).toBeNull();
  });

  it('takes the resource group from a tag where the resource has it, keeping the natural key', () => {
    const usageMapping = compiled(2, replacing(costCenterAsGroup));
    const tagged = usageRecord({ Tags: '{"costCenter":"CC-4410","project":"web"}' });
    const plain = mapUsageLine(tagged);
    const mapped = mapUsageLine(tagged, { usageMapping });
    if (!plain.ok || !mapped.ok) throw new Error('the sample did not map');
    expect(mapped.row.resource_group).toBe('CC-4410');
    expect(plain.row.resource_group).toBe('rg-web');
    expect(mapped.row.line_key).toBe(plain.row.line_key);
    expect(mapped.tags).toEqual({ costCenter: 'CC-4410', project: 'web' });
    // An untagged resource keeps Microsoft's resource group.
    const untagged = mapUsageLine(usageRecord({ Tags: '' }), { usageMapping });
    expect(untagged.ok && untagged.row.resource_group).toBe('rg-web');
  });

  it('sets a tag from two columns, and empties a built-in field no rule writes any more', () => {
    const rules = [...OBJECT.defaultRules.filter((r) => r.target !== 'usage.meterRegion'), { id: 'owner', target: 'usage.tags.owner', transform: { type: 'template', template: '{MeterCategory}/{ResourceLocation}' } } as MappingRule];
    const usageMapping = compiled(3, rules);
    const mapped = mapUsageLine(usageRecord({ Tags: '{"project":"web"}' }), { usageMapping });
    if (!mapped.ok) throw new Error(JSON.stringify(mapped.errors));
    expect(mapped.tags).toEqual({ project: 'web', owner: 'Virtual Machines/EASTUS' });
    expect(mapped.row.meter_region).toBeNull();
    expect(mapped.row.meter_name).toBe('D2 v3');
  });

  it('refuses a line a changed rule cannot map, naming the version and the rule', () => {
    const usageMapping = compiled(4, replacing({ id: 'meter-name', source: 'Tags.meter', target: 'usage.meterName', transform: { type: 'lookup', table: { a: 'Meter A' } } }));
    const mapped = mapUsageLine(usageRecord({ Tags: '{"meter":"b"}' }), { usageMapping });
    expect(mapped).toEqual({ ok: false, errors: [{ field: 'usage.meterName', reason: expect.stringMatching(/^usage line mapping v4 rule meter-name: "b" is not in the lookup table/) }] });
  });
});
