/**
 * Seeded, dependency-free randomness for the vendor sandboxes.
 *
 * Two tools, because the sandboxes need both: `Rng` draws a sequence when an
 * entity (a customer, a subscription) is built once, and `hash2`/`hash3` give a
 * stateless value for a coordinate (resource × day) so a generator can jump to
 * any line without replaying everything before it.
 *
 * @example
 *   const rng = new Rng(seedFrom('demo', 'customer', 3));
 *   rng.int(1, 6); // same value on every run
 */

/** Avalanche a 32-bit integer (the "lowbias32" finaliser). */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash two 32-bit integers; fixed arity so hot loops allocate nothing. */
export function hash2(a: number, b: number): number {
  return mix32(mix32(a ^ 0x9e3779b9) ^ Math.imul(b >>> 0, 0x85ebca6b));
}

/** Hash three 32-bit integers. */
export function hash3(a: number, b: number, c: number): number {
  return hash2(hash2(a, b), c);
}

/** A uniform float in [0, 1) from a 32-bit hash. */
export function unit(h: number): number {
  return (h >>> 0) / 4294967296;
}

/** FNV-1a over UTF-16 code units, then mixed: turns labels into seeds. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Derive a seed from a root seed and a path of labels or numbers. */
export function seedFrom(root: number | string, ...path: Array<number | string>): number {
  let h = typeof root === 'number' ? mix32(root) : hashString(root);
  for (const part of path) {
    h = hash2(h, typeof part === 'number' ? part : hashString(part));
  }
  return h;
}

/** sfc32: small, fast and good enough for test data; never for secrets. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    this.#a = mix32(seed ^ 0xa341316c);
    this.#b = mix32(seed ^ 0xc8013ea4);
    this.#c = mix32(seed ^ 0xad90777d);
    this.#d = mix32(seed ^ 0x7e95761e);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new Error('Rng.pick on an empty list');
    return item;
  }

  /** Lowercase hex string of `length` characters. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.next().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  /** An RFC 4122 version-4 shaped UUID, deterministic for the seed. */
  uuid(): string {
    const h = this.hex(32).split('');
    h[12] = '4';
    h[16] = '89ab'[parseInt(h[16] ?? '0', 16) & 3] ?? '8';
    const s = h.join('');
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}
