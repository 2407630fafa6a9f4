import { describe, expect, it } from 'vitest';
import { CompactIds } from '../../../src/engine/compact-ids.ts';
import { seededRandom } from './fixtures.ts';

describe('CompactIds (lineage source ids as varint deltas)', () => {
  it('gives back every id in order, ascending, descending or repeated, up to 2^53 - 1', () => {
    for (let seed = 1; seed <= 20; seed += 1) {
      const rnd = seededRandom(seed);
      const ids = new CompactIds();
      const plain: number[] = [];
      let n = Math.floor(rnd() * 1000);
      for (let i = 0; i < 2000; i += 1) {
        const r = rnd();
        if (r < 0.7 && n < 2 ** 52) n += 1 + Math.floor(rnd() * 400); // the close's order
        else if (r < 0.8) n = Math.floor(rnd() * n); // back
        else if (r < 0.9) n = pick(rnd, [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]);
        // else: the same id again
        ids.push(n);
        plain.push(n);
      }
      expect(ids.length).toBe(plain.length);
      expect(ids.toArray(), `seed ${seed}`).toEqual(plain);
      expect([...ids]).toEqual(plain);
    }
  });

  it('takes about two bytes an id when ids are a few hundred apart', () => {
    const ids = new CompactIds();
    for (let i = 0; i < 30_000; i += 1) ids.push(1_000_000 + i * 200);
    expect(ids.byteLength).toBeLessThanOrEqual(2 * 30_000 + 3);
    expect(ids.toArray().slice(-2)).toEqual([1_000_000 + 29_998 * 200, 1_000_000 + 29_999 * 200]);
  });

  it('refuses what is not a non-negative safe integer, naming it', () => {
    const ids = new CompactIds();
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => ids.push(bad)).toThrow(`CompactIds holds non-negative safe integers, not ${bad}`);
    expect(ids.length).toBe(0);
  });
});

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}
