import { describe, expect, it } from 'vitest';
import { LineIdSet } from '../../../src/engine/line-id-set.ts';
import { seededRandom } from './fixtures.ts';

// LineIdSet must answer exactly as a Set<string> of the same ids would, whatever the
// order and spelling: the compact path (ascending numbers per prefix) is an optimisation.

describe('LineIdSet', () => {
  it('answers as a Set<string> on 50 seeded random streams of ids', () => {
    for (let seed = 1; seed <= 50; seed += 1) {
      const rnd = seededRandom(seed);
      const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
      const set = new LineIdSet();
      const plain = new Set<string>();
      let next = Math.floor(rnd() * 1000);
      for (let i = 0; i < 400; i += 1) {
        const r = rnd();
        let id: string;
        if (r < 0.55) id = `u:${(next += 1 + Math.floor(rnd() * 3))}`; // the close's order: ascending
        else if (r < 0.7) id = `${pick(['u:', 'ru:', 'l:'])}${Math.floor(rnd() * (next + 5))}`; // anywhere, repeats included
        else if (r < 0.8) id = pick([...plain, 'u:1']); // a repeat
        else if (r < 0.85) id = `u:0${Math.floor(rnd() * 50)}`; // a leading zero: another id than u:N
        else if (r < 0.9) id = `l:${Math.floor(rnd() * 1e9).toString(16)}-${Math.floor(rnd() * 100)}`; // uuid-like
        else if (r < 0.95) id = pick(['u:', '42', '', 'u:1e3', 'u:12345678901234567890', 'u:9007199254740993']);
        else id = `ru:${next}`;
        expect(set.has(id), `seed ${seed}: has ${id} before`).toBe(plain.has(id));
        expect(set.add(id), `seed ${seed}: add ${id}`).toBe(!plain.has(id));
        plain.add(id);
        expect(set.size, `seed ${seed}: size after ${id}`).toBe(plain.size);
      }
      for (const id of plain) expect(set.has(id), `seed ${seed}: has ${id}`).toBe(true);
      for (const id of ['u:999999999', 'x:1', 'u:-1', 'u:1.0']) expect(set.has(id)).toBe(plain.has(id));
    }
  });

  it('tells u:42 from u:042 and from 42', () => {
    const set = new LineIdSet();
    expect(set.add('u:42')).toBe(true);
    expect(set.has('u:042')).toBe(false);
    expect(set.has('42')).toBe(false);
    expect(set.add('u:042')).toBe(true);
    expect(set.add('42')).toBe(true);
    expect(set.add('u:42')).toBe(false);
    expect(set.size).toBe(3);
  });

  it('finds an id that came out of order, and one below a run that later grew', () => {
    const set = new LineIdSet();
    for (const id of ['u:10', 'u:20', 'u:5', 'u:30']) expect(set.add(id)).toBe(true);
    for (const id of ['u:10', 'u:20', 'u:5', 'u:30']) expect(set.add(id)).toBe(false);
    expect(set.has('u:15')).toBe(false);
    expect(set.add('u:15')).toBe(true);
    expect(set.has('u:15')).toBe(true);
    expect(set.size).toBe(5);
  });

  it('grows past its first block', () => {
    const set = new LineIdSet();
    for (let i = 0; i < 10_000; i += 2) set.add(`u:${i}`);
    expect(set.size).toBe(5000);
    expect(set.has('u:9998')).toBe(true);
    expect(set.has('u:9999')).toBe(false);
    expect(set.has('u:0')).toBe(true);
  });

  it('finds every id of a long ascending run, whatever its steps, and none between them', () => {
    const rnd = seededRandom(7);
    const set = new LineIdSet();
    const ids: number[] = [];
    let n = 3;
    for (let i = 0; i < 5000; i += 1) {
      ids.push(n);
      expect(set.add(`u:${n}`)).toBe(true);
      // One-byte, two-byte and three-byte steps, and now and then one of 2^40.
      const r = rnd();
      n += r < 0.3 ? 1 + Math.floor(rnd() * 100) : r < 0.9 ? 128 + Math.floor(rnd() * 16_000) : r < 0.99 ? 16_384 + Math.floor(rnd() * 1e6) : 2 ** 40;
    }
    expect(set.size).toBe(5000);
    for (const id of ids) {
      expect(set.has(`u:${id}`)).toBe(true);
      expect(set.add(`u:${id}`)).toBe(false);
    }
    const present = new Set(ids);
    for (const id of ids) for (const near of [id - 1, id + 1]) if (!present.has(near)) expect(set.has(`u:${near}`), `u:${near}`).toBe(false);
    expect(set.has('u:0')).toBe(false);
    expect(set.has(`u:${n}`)).toBe(false);
    expect(set.size).toBe(5000);
  });
});
