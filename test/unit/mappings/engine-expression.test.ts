import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/engine/decimal.ts';
import { evaluate, ExpressionError, parseExpression, pathsOf } from '../../../src/mappings/engine/expression.ts';
import type { Value } from '../../../src/mappings/engine/types.ts';

const run = (source: string, values: Record<string, Value> = {}) => {
  const v = evaluate(parseExpression(source), (p) => values[p] ?? null);
  return v instanceof Decimal ? v.toString() : v;
};
const syntaxError = (source: string) => {
  try {
    parseExpression(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionError);
    return (error as Error).message;
  }
  throw new Error(`${source} parsed`);
};

describe('the mapping expression language', () => {
  it('follows arithmetic precedence and parentheses', () => {
    expect(run('1 + 2 * 3')).toBe('7');
    expect(run('(1 + 2) * 3')).toBe('9');
    expect(run('10 - 4 - 3')).toBe('3');
    expect(run('6 / 4 * 2')).toBe('3');
    expect(run('-2 * -3')).toBe('6');
  });

  it('compares and combines with and / or / not, and picks with ? :', () => {
    expect(run('2 > 1 and not (1 == 2)')).toBe(true);
    expect(run('1 >= 2 or 3 <= 3')).toBe(true);
    expect(run("'b' > 'a'")).toBe(true);
    expect(run('a == 1 ? "one" : "other"', { a: new Decimal(1) })).toBe('one');
    expect(run('1 != 1 ? 1 : 2 > 1 ? 3 : 4')).toBe('3');
  });

  it('propagates null through arithmetic; coalesce stops it', () => {
    expect(run('a * 2')).toBe(null);
    expect(run('coalesce(a, b, 5)', { b: new Decimal(4) })).toBe('4');
    expect(run('a == null')).toBe(true);
  });

  it('offers its listed functions', () => {
    expect(run('round(2.345, 2)')).toBe('2.35');
    expect(run('round(2.5)')).toBe('3');
    expect(run('floor(-1.5)')).toBe('-2');
    expect(run('ceil(1.1)')).toBe('2');
    expect(run('abs(-4)')).toBe('4');
    expect(run('min(3, 1, 2)')).toBe('1');
    expect(run('max(3, 1, 2)')).toBe('3');
    expect(run("upper(trim('  usd '))")).toBe('USD');
    expect(run("lower('ABC')")).toBe('abc');
    expect(run("len('héllo')")).toBe('5');
    expect(run("concat('a', 1.50, 'b')")).toBe('a1.5b');
    expect(run("decimal(' 12.50 ')")).toBe('12.5');
  });

  it('names the paths it reads', () => {
    expect([...pathsOf(parseExpression('deal.properties.price * coalesce(line.quantity, 1)'))]).toEqual(['deal.properties.price', 'line.quantity']);
  });

  it('refuses what it does not know, saying where', () => {
    expect(syntaxError('1 +')).toBe('ends where a value was expected');
    expect(syntaxError('(1 + 2')).toBe('expected ")" at 6 (end of expression)');
    expect(syntaxError('1 ; 2')).toBe('unexpected ";" at 2');
    expect(syntaxError('process.exit(1)')).toMatch(/^unknown function process.exit\(\) at 0/);
    expect(syntaxError('constructor(1)')).toMatch(/^unknown function constructor\(\)/);
    expect(syntaxError('eval("1")')).toMatch(/^unknown function eval\(\)/);
    expect(syntaxError("'open")).toBe("text starting at 0 has no closing '");
    expect(syntaxError('round()')).toBe('round() takes 1 to 2 arguments, not 0');
    expect(syntaxError('x'.repeat(501))).toBe('is longer than 500 characters');
    expect(syntaxError('('.repeat(40) + '1' + ')'.repeat(40))).toBe('nests deeper than 32 levels');
  });

  it('fails at run time on division by zero and on text that is no number', () => {
    expect(() => run('1 / 0')).toThrow('division by zero');
    expect(() => run("decimal('x')")).toThrow('decimal(): "x" is not a number');
  });
});
