import type { MappingRule } from './engine/types.ts';

// Builders for the rules connectors write their default mappings with.

export const copyRule = (id: string, source: string, target: string): MappingRule => ({ id, source, target, transform: { type: 'copy' } });

export const expressionRule = (id: string, expression: string, target: string): MappingRule => ({ id, target, transform: { type: 'expression', expression } });
