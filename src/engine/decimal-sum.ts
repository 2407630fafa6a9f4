/**
 * A running sum of Decimals that gives, digit for digit, what adding them one by one
 * with `plus` gives, for a fraction of the cost: a close adds a dozen amounts per line,
 * and decimal.js allocates two numbers and a digit array for every `plus`.
 *
 * - The sum is kept exactly as an integer count of 10^-scale: in a double while it stays
 *   below 2^53 (cents and four-decimal prices of a month's lines do), else in a BigInt.
 * - `plus` rounds to 40 significant digits, and only a partial sum that needs more can be
 *   rounded: once the exact integer reaches 10^40 the sum goes on with `plus` from the
 *   exact partial sum it had, so the rounding is decimal.js's own from then on.
 *   (`{ exact: true }` never rounds: the cost-node subtotals want the exact sum.)
 * - Zero: from 0, `plus` with round-half-up never yields −0, and an exact cancellation
 *   yields +0; so does this.
 *
 * Reads decimal.js's documented-stable internal form: digits `d` in base 10^7 words,
 * exponent `e`, sign `s` (the library's own toString reads them the same way).
 */
import { Decimal } from './decimal.ts';

const WORD = 1e7;
const SAFE = 2 ** 53;
const LIMIT = 10n ** 40n;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const BIG_POW10: bigint[] = [];
const bigPow10 = (k: number): bigint => (BIG_POW10[k] ??= 10n ** BigInt(k));

interface DecimalParts {
  d: number[] | null;
  e: number;
  s: number;
}

function digitsOf(word: number): number {
  return word < 10 ? 1 : word < 100 ? 2 : word < 1e3 ? 3 : word < 1e4 ? 4 : word < 1e5 ? 5 : word < 1e6 ? 6 : 7;
}

export class DecimalSum {
  /** The exact sum × 10^scale, while it is a safe integer (big === null and rounded === null). */
  private int = 0;
  private big: bigint | null = null;
  private scale = 0;
  /** The sum as `plus` goes on with it, once it left 40 digits. */
  private rounded: Decimal | null = null;
  private readonly exact: boolean;

  constructor(options: { exact?: boolean } = {}) {
    this.exact = options.exact ?? false;
  }

  add(x: Decimal): this {
    if (this.rounded !== null) {
      this.rounded = this.rounded.plus(x);
      return this;
    }
    const { d, e, s } = x as unknown as DecimalParts;
    if (d === null || !Number.isFinite(e)) {
      // NaN or ±Infinity: no exact form; decimal.js has the rules.
      this.rounded = this.value().plus(x);
      return this;
    }
    const first = d[0] as number;
    if (first === 0) return this; // ±0 changes nothing (and 0 + −0 is +0)
    const n = d.length;
    // Units of the last word are 10^-xScale (a multiple of 7: words align to the exponent).
    const xScale = 7 * (n - 1) - (e - digitsOf(first) + 1);

    if (this.big === null) {
      let m = first;
      for (let i = 1; i < n; i += 1) m = m * WORD + (d[i] as number);
      if (m < SAFE) {
        let int = this.int;
        let scale = this.scale;
        let term = m;
        if (xScale > scale) {
          const up = xScale - scale;
          if (up >= POW10.length || Math.abs(int) * POW10[up]! >= SAFE) return this.addBig(x, d, xScale, s);
          int *= POW10[up]!;
          scale = xScale;
        } else if (xScale < scale) {
          const up = scale - xScale;
          if (up >= POW10.length || term * POW10[up]! >= SAFE) return this.addBig(x, d, xScale, s);
          term *= POW10[up]!;
        }
        if (Math.abs(int) + term >= SAFE) return this.addBig(x, d, xScale, s);
        this.int = s < 0 ? int - term : int + term;
        this.scale = scale;
        return this;
      }
    }
    return this.addBig(x, d, xScale, s);
  }

  /** Adds |x|: what tag compliance sums (no negated copy made). */
  addAbs(x: Decimal): this {
    return (x as unknown as DecimalParts).s < 0 ? this.add(x.negated()) : this.add(x);
  }

  private addBig(x: Decimal, d: number[], xScale: number, sign: number): this {
    let m = 0n;
    for (const word of d) m = m * 10_000_000n + BigInt(word);
    if (sign < 0) m = -m;
    let big = this.big ?? BigInt(this.int);
    let scale = this.scale;
    if (xScale > scale) {
      big *= bigPow10(xScale - scale);
      scale = xScale;
    } else if (xScale < scale) {
      m *= bigPow10(scale - xScale);
    }
    const next = big + m;
    if (!this.exact && (next >= LIMIT || next <= -LIMIT)) {
      // The partial sum so far is exact and within 40 digits, so it is plus's own.
      this.rounded = this.value().plus(x);
      return this;
    }
    this.big = next;
    this.scale = scale;
    return this;
  }

  /** The sum as a Decimal (a new one each call). */
  value(): Decimal {
    if (this.rounded !== null) return this.rounded;
    const int = this.big ?? this.int;
    if (int === 0 || int === 0n) return new Decimal(0);
    return new Decimal(this.scale === 0 ? `${int}` : `${int}e-${this.scale}`);
  }
}
