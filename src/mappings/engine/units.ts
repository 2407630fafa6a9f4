import { Decimal } from '../../engine/decimal.ts';

// Units a mapping may convert between: each unit's size in its dimension's base unit.
// Factors are exact decimals, so converting there and back returns the same number.

interface Unit {
  dimension: 'proportion' | 'data' | 'duration' | 'period';
  /** How many base units one of this unit is. */
  size: string;
}

export const UNITS: Readonly<Record<string, Unit>> = {
  ratio: { dimension: 'proportion', size: '1' },
  percent: { dimension: 'proportion', size: '0.01' },
  basis_points: { dimension: 'proportion', size: '0.0001' },
  byte: { dimension: 'data', size: '1' },
  kb: { dimension: 'data', size: '1000' },
  mb: { dimension: 'data', size: '1000000' },
  gb: { dimension: 'data', size: '1000000000' },
  tb: { dimension: 'data', size: '1000000000000' },
  kib: { dimension: 'data', size: '1024' },
  mib: { dimension: 'data', size: '1048576' },
  gib: { dimension: 'data', size: '1073741824' },
  tib: { dimension: 'data', size: '1099511627776' },
  second: { dimension: 'duration', size: '1' },
  minute: { dimension: 'duration', size: '60' },
  hour: { dimension: 'duration', size: '3600' },
  day: { dimension: 'duration', size: '86400' },
  month: { dimension: 'period', size: '1' },
  quarter: { dimension: 'period', size: '3' },
  year: { dimension: 'period', size: '12' },
};

/** Why two units cannot convert, or undefined when they can. */
export function unitProblem(from: string, to: string): string | undefined {
  const a = UNITS[from];
  const b = UNITS[to];
  const known = Object.keys(UNITS).join(', ');
  if (!a || !Object.hasOwn(UNITS, from)) return `unit "${from}" is unknown (known: ${known})`;
  if (!b || !Object.hasOwn(UNITS, to)) return `unit "${to}" is unknown (known: ${known})`;
  if (a.dimension !== b.dimension) return `cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})`;
  return undefined;
}

/**
 * A quantity in `from` expressed in `to`.
 *
 * @example convertUnit(new Decimal('15'), 'percent', 'ratio') // 0.15
 */
export function convertUnit(value: Decimal, from: string, to: string): Decimal {
  return value.times(UNITS[from]!.size).div(UNITS[to]!.size);
}
