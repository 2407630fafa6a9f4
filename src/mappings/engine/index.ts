export { applyMapping, type MappedField, type MappingResult } from './apply.ts';
export { EXPRESSION_FUNCTIONS, MAX_EXPRESSION_LENGTH } from './expression.ts';
export { invertRule } from './inverse.ts';
export { ROUNDINGS } from './transforms.ts';
export { UNITS } from './units.ts';
export { checkMapping, type CheckedMapping } from './validate.ts';
export type * from './types.ts';
