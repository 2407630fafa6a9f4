import { describe, expect, it } from 'vitest';
import { hash2, Rng, seedFrom } from '../../../src/sandbox/prng.ts';

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Rng(seedFrom(42, 'x'));
    const b = new Rng(seedFrom(42, 'x'));
    const c = new Rng(seedFrom(43, 'x'));
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it('draws integers within bounds, both inclusive', () => {
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('makes version-4 shaped UUIDs', () => {
    const rng = new Rng(seedFrom('uuid'));
    for (let i = 0; i < 50; i++) expect(rng.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('hashes coordinates statelessly', () => {
    expect(hash2(7, 11)).toBe(hash2(7, 11));
    expect(hash2(7, 11)).not.toBe(hash2(11, 7));
  });
});
