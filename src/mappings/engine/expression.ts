import { Decimal } from '../../engine/decimal.ts';
import { isPath } from './paths.ts';
import type { FieldType, Value } from './types.ts';
import { typeOfValue, ValueError } from './values.ts';

// A small expression language for mapping rules, parsed by hand so it can reach nothing
// but the record's fields and the functions listed below: no eval, no Function, no
// property access beyond dot paths, no loops.
//
//   expr    := cond
//   cond    := or ( "?" expr ":" expr )?
//   or      := and ( "or" and )*
//   and     := not ( "and" not )*
//   not     := "not" not | compare
//   compare := sum ( ("==" | "!=" | "<" | "<=" | ">" | ">=") sum )?
//   sum     := product ( ("+" | "-") product )*
//   product := unary ( ("*" | "/") unary )*
//   unary   := "-" unary | atom
//   atom    := number | 'text' | "text" | true | false | null | path | name "(" args? ")" | "(" expr ")"
//
// Numbers are decimals (never floating point). `+` adds numbers; text joins with concat().
// A null operand of arithmetic or a comparison makes the result null; coalesce() picks
// the first value that is not null.

export const MAX_EXPRESSION_LENGTH = 500;
const MAX_DEPTH = 32;

export type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'path'; path: string }
  | { kind: 'unary'; op: '-' | 'not'; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node }
  | { kind: 'cond'; test: Node; then: Node; else: Node }
  | { kind: 'call'; name: string; args: Node[] };

/** A syntax or type error, with the character position where it was found. */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

type Token = { kind: 'num' | 'str' | 'name' | 'op' | 'end'; text: string; at: number };

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '(', ')', ',', '?', ':'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^\d+(\.\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'num', text: number[0], at: i });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*)*/.exec(source.slice(i));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], at: i });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = source.indexOf(c, i + 1);
      if (end < 0) throw new ExpressionError(`text starting at ${i} has no closing ${c}`);
      tokens.push({ kind: 'str', text: source.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (!op) throw new ExpressionError(`unexpected "${c}" at ${i}`);
    tokens.push({ kind: 'op', text: op, at: i });
    i += op.length;
  }
  tokens.push({ kind: 'end', text: '', at: source.length });
  return tokens;
}

/**
 * Parses an expression into a tree, or throws ExpressionError saying where it failed.
 *
 * @example parseExpression('round(price * (1 - discount / 100), 2)')
 */
export function parseExpression(source: string): Node {
  if (source.length > MAX_EXPRESSION_LENGTH) throw new ExpressionError(`is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const isOp = (text: string) => peek().kind === 'op' && peek().text === text;
  const isWord = (text: string) => peek().kind === 'name' && peek().text === text;
  const expect = (text: string) => {
    if (!isOp(text)) throw new ExpressionError(`expected "${text}" at ${peek().at}${peek().kind === 'end' ? ' (end of expression)' : `, found "${peek().text}"`}`);
    next();
  };
  const nested = <T>(parse: () => T): T => {
    if (++depth > MAX_DEPTH) throw new ExpressionError(`nests deeper than ${MAX_DEPTH} levels`);
    try {
      return parse();
    } finally {
      depth--;
    }
  };

  const expr = (): Node => nested(cond);
  function cond(): Node {
    const test = or();
    if (!isOp('?')) return test;
    next();
    const then = expr();
    expect(':');
    return { kind: 'cond', test, then, else: expr() };
  }
  function or(): Node {
    let left = and();
    while (isWord('or')) {
      next();
      left = { kind: 'binary', op: 'or', left, right: and() };
    }
    return left;
  }
  function and(): Node {
    let left = not();
    while (isWord('and')) {
      next();
      left = { kind: 'binary', op: 'and', left, right: not() };
    }
    return left;
  }
  function not(): Node {
    if (isWord('not')) {
      next();
      return { kind: 'unary', op: 'not', operand: nested(not) };
    }
    return compare();
  }
  function compare(): Node {
    const left = sum();
    const op = peek();
    if (op.kind === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(op.text)) {
      next();
      return { kind: 'binary', op: op.text, left, right: sum() };
    }
    return left;
  }
  function sum(): Node {
    let left = product();
    while (isOp('+') || isOp('-')) left = { kind: 'binary', op: next().text, left, right: product() };
    return left;
  }
  function product(): Node {
    let left = unary();
    while (isOp('*') || isOp('/')) left = { kind: 'binary', op: next().text, left, right: unary() };
    return left;
  }
  function unary(): Node {
    if (isOp('-')) {
      next();
      return { kind: 'unary', op: '-', operand: nested(unary) };
    }
    return atom();
  }
  function atom(): Node {
    const t = next();
    if (t.kind === 'num') return { kind: 'literal', value: new Decimal(t.text) };
    if (t.kind === 'str') return { kind: 'literal', value: t.text };
    if (t.kind === 'op' && t.text === '(') {
      const inner = expr();
      expect(')');
      return inner;
    }
    if (t.kind === 'name') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true' };
      if (t.text === 'null') return { kind: 'literal', value: null };
      if (['and', 'or', 'not'].includes(t.text)) throw new ExpressionError(`"${t.text}" at ${t.at} needs an operand before it`);
      if (isOp('(')) {
        next();
        const fn = FUNCTIONS[t.text];
        if (!fn || !Object.hasOwn(FUNCTIONS, t.text)) throw new ExpressionError(`unknown function ${t.text}() at ${t.at} (known: ${Object.keys(FUNCTIONS).join(', ')})`);
        const args: Node[] = [];
        if (!isOp(')')) {
          args.push(expr());
          while (isOp(',')) {
            next();
            args.push(expr());
          }
        }
        expect(')');
        if (args.length < fn.min || args.length > fn.max) {
          throw new ExpressionError(`${t.text}() takes ${fn.min === fn.max ? fn.min : `${fn.min} to ${fn.max === Infinity ? 'any number of' : fn.max}`} arguments, not ${args.length}`);
        }
        return { kind: 'call', name: t.text, args };
      }
      if (!isPath(t.text)) throw new ExpressionError(`"${t.text}" at ${t.at} is not a field path`);
      return { kind: 'path', path: t.text };
    }
    throw new ExpressionError(t.kind === 'end' ? 'ends where a value was expected' : `unexpected "${t.text}" at ${t.at}`);
  }

  const tree = expr();
  if (peek().kind !== 'end') throw new ExpressionError(`unexpected "${peek().text}" at ${peek().at}`);
  return tree;
}

/** Every field path an expression reads. */
export function pathsOf(node: Node, into: Set<string> = new Set()): Set<string> {
  switch (node.kind) {
    case 'path':
      into.add(node.path);
      break;
    case 'unary':
      pathsOf(node.operand, into);
      break;
    case 'binary':
      pathsOf(node.left, into);
      pathsOf(node.right, into);
      break;
    case 'cond':
      pathsOf(node.test, into);
      pathsOf(node.then, into);
      pathsOf(node.else, into);
      break;
    case 'call':
      for (const a of node.args) pathsOf(a, into);
      break;
  }
  return into;
}

// ---- types ----

type Ty = FieldType | 'null';
const NUMERIC = new Set<Ty>(['decimal', 'integer']);
const num = (t: Ty) => NUMERIC.has(t) || t === 'null';

function unify(a: Ty, b: Ty, what: string): Ty {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  if (NUMERIC.has(a) && NUMERIC.has(b)) return 'decimal';
  throw new ExpressionError(`${what} mixes ${a} and ${b}`);
}

interface FunctionSpec {
  min: number;
  max: number;
  type(args: Ty[]): Ty;
  run(args: Value[]): Value;
}

const asDecimal = (v: Value, fn: string): Decimal => {
  if (v instanceof Decimal) return v;
  throw new ValueError(`${fn}() needs a number, not ${JSON.stringify(v)}`);
};
const asText = (v: Value): string => (v instanceof Decimal ? v.toString() : v instanceof Date ? v.toISOString() : String(v));
const needNumbers = (name: string) => (args: Ty[]) => {
  args.forEach((t, i) => {
    if (!num(t)) throw new ExpressionError(`${name}() argument ${i + 1} must be a number, not ${t}`);
  });
  return args.every((t) => t === 'integer' || t === 'null') && name !== 'round' ? 'integer' : 'decimal';
};
const anyNull = (args: Value[]) => args.some((a) => a === null);

const FUNCTIONS: Record<string, FunctionSpec> = {
  round: {
    min: 1,
    max: 2,
    type: (args) => {
      needNumbers('round')(args);
      return args.length === 1 ? 'integer' : 'decimal';
    },
    run: (args) => {
      if (anyNull(args)) return null;
      const places = args[1] === undefined ? 0 : asDecimal(args[1], 'round').toNumber();
      if (!Number.isInteger(places) || places < 0 || places > 20) throw new ValueError(`round() places must be a whole number from 0 to 20, not ${places}`);
      return asDecimal(args[0]!, 'round').toDecimalPlaces(places, Decimal.ROUND_HALF_UP);
    },
  },
  floor: { min: 1, max: 1, type: (a) => (needNumbers('floor')(a), 'integer'), run: (a) => (anyNull(a) ? null : asDecimal(a[0]!, 'floor').floor()) },
  ceil: { min: 1, max: 1, type: (a) => (needNumbers('ceil')(a), 'integer'), run: (a) => (anyNull(a) ? null : asDecimal(a[0]!, 'ceil').ceil()) },
  abs: { min: 1, max: 1, type: needNumbers('abs'), run: (a) => (anyNull(a) ? null : asDecimal(a[0]!, 'abs').abs()) },
  min: { min: 1, max: Infinity, type: needNumbers('min'), run: (a) => (anyNull(a) ? null : Decimal.min(...a.map((v) => asDecimal(v, 'min')))) },
  max: { min: 1, max: Infinity, type: needNumbers('max'), run: (a) => (anyNull(a) ? null : Decimal.max(...a.map((v) => asDecimal(v, 'max')))) },
  coalesce: {
    min: 1,
    max: Infinity,
    type: (args) => args.reduce((t, a) => unify(t, a, 'coalesce()'), 'null' as Ty),
    run: (args) => args.find((a) => a !== null) ?? null,
  },
  decimal: {
    min: 1,
    max: 1,
    type: (args) => {
      if (args[0] !== 'string' && !num(args[0]!)) throw new ExpressionError(`decimal() reads text or a number, not ${args[0]}`);
      return 'decimal';
    },
    run: (args) => {
      const v = args[0]!;
      if (v === null || (typeof v === 'string' && v.trim() === '')) return null;
      if (v instanceof Decimal) return v;
      if (typeof v === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(v.trim())) return new Decimal(v.trim());
      throw new ValueError(`decimal(): ${JSON.stringify(v)} is not a number`);
    },
  },
  upper: { min: 1, max: 1, type: () => 'string', run: (a) => (a[0] === null ? null : asText(a[0]!).toUpperCase()) },
  lower: { min: 1, max: 1, type: () => 'string', run: (a) => (a[0] === null ? null : asText(a[0]!).toLowerCase()) },
  trim: { min: 1, max: 1, type: () => 'string', run: (a) => (a[0] === null ? null : asText(a[0]!).trim()) },
  len: { min: 1, max: 1, type: () => 'integer', run: (a) => (a[0] === null ? null : new Decimal([...asText(a[0]!)].length)) },
  concat: { min: 1, max: Infinity, type: () => 'string', run: (a) => a.map((v) => (v === null ? '' : asText(v))).join('') },
};

export const EXPRESSION_FUNCTIONS: readonly string[] = Object.keys(FUNCTIONS);

/**
 * The type an expression yields, given the type of each path it reads; throws
 * ExpressionError when an operator meets the wrong type. 'null' means always null.
 */
export function typeOf(node: Node, pathType: (path: string) => FieldType): Ty {
  switch (node.kind) {
    case 'literal':
      return typeOfValue(node.value) ?? 'null';
    case 'path':
      return pathType(node.path);
    case 'unary': {
      const t = typeOf(node.operand, pathType);
      if (node.op === 'not') {
        if (t !== 'boolean' && t !== 'null') throw new ExpressionError(`not needs a boolean, not ${t}`);
        return 'boolean';
      }
      if (!num(t)) throw new ExpressionError(`- needs a number, not ${t}`);
      return t;
    }
    case 'binary': {
      const l = typeOf(node.left, pathType);
      const r = typeOf(node.right, pathType);
      if (node.op === 'and' || node.op === 'or') {
        for (const t of [l, r]) if (t !== 'boolean' && t !== 'null') throw new ExpressionError(`${node.op} needs booleans, not ${t}`);
        return 'boolean';
      }
      if (['+', '-', '*', '/'].includes(node.op)) {
        if (!num(l) || !num(r)) throw new ExpressionError(`${node.op} needs numbers, not ${l} and ${r}${l === 'string' || r === 'string' ? ' (read text as a number with decimal(), join text with concat())' : ''}`);
        return node.op !== '/' && l !== 'decimal' && r !== 'decimal' ? 'integer' : 'decimal';
      }
      if (node.op === '==' || node.op === '!=') {
        unify(l, r, `${node.op}`);
        return 'boolean';
      }
      const ordered = unify(l, r, node.op);
      if (ordered === 'boolean') throw new ExpressionError(`${node.op} cannot order booleans`);
      return 'boolean';
    }
    case 'cond': {
      const t = typeOf(node.test, pathType);
      if (t !== 'boolean' && t !== 'null') throw new ExpressionError(`the test before ? must be a boolean, not ${t}`);
      return unify(typeOf(node.then, pathType), typeOf(node.else, pathType), 'the two branches of ? :');
    }
    case 'call':
      return FUNCTIONS[node.name]!.type(node.args.map((a) => typeOf(a, pathType)));
  }
}

function compareValues(a: Value, b: Value): number {
  if (a instanceof Decimal && b instanceof Decimal) return a.comparedTo(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  const x = asText(a!);
  const y = asText(b!);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Evaluates a parsed expression against the values of its paths. Throws ValueError for
 * what only the data can show (division by zero, text that is not a number).
 *
 * @example evaluate(parseExpression('price * 2'), (p) => new Decimal('21')) // Decimal 42
 */
export function evaluate(node: Node, read: (path: string) => Value): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path':
      return read(node.path);
    case 'unary': {
      const v = evaluate(node.operand, read);
      if (v === null) return null;
      return node.op === 'not' ? !v : asDecimal(v, '-').negated();
    }
    case 'binary': {
      if (node.op === 'and' || node.op === 'or') {
        const l = evaluate(node.left, read);
        if (node.op === 'and' && l === false) return false;
        if (node.op === 'or' && l === true) return true;
        const r = evaluate(node.right, read);
        if (l === null || r === null) return null;
        return r;
      }
      const l = evaluate(node.left, read);
      const r = evaluate(node.right, read);
      if (l === null || r === null) return node.op === '==' ? l === r : node.op === '!=' ? l !== r : null;
      switch (node.op) {
        case '+':
          return asDecimal(l, '+').plus(asDecimal(r, '+'));
        case '-':
          return asDecimal(l, '-').minus(asDecimal(r, '-'));
        case '*':
          return asDecimal(l, '*').times(asDecimal(r, '*'));
        case '/': {
          const divisor = asDecimal(r, '/');
          if (divisor.isZero()) throw new ValueError('division by zero');
          return asDecimal(l, '/').div(divisor);
        }
        case '==':
          return compareValues(l, r) === 0;
        case '!=':
          return compareValues(l, r) !== 0;
        case '<':
          return compareValues(l, r) < 0;
        case '<=':
          return compareValues(l, r) <= 0;
        case '>':
          return compareValues(l, r) > 0;
        default:
          return compareValues(l, r) >= 0;
      }
    }
    case 'cond': {
      const test = evaluate(node.test, read);
      return test === true ? evaluate(node.then, read) : evaluate(node.else, read);
    }
    case 'call':
      return FUNCTIONS[node.name]!.run(node.args.map((a) => evaluate(a, read)));
  }
}
