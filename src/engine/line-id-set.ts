import { VarintBytes } from './varint-bytes.ts';

/**
 * A set of line ids that costs about 2 bytes per id when ids arrive as the close reads
 * them: a prefix and a number (`u:41`, `u:42`, …) in ascending order per prefix. Those are
 * kept per prefix as a sorted run of varint steps in blocks (found by a binary search over
 * the blocks); any other id, or one that arrives out of order, goes to an ordinary Set of
 * strings. A Set of strings holds about 100 bytes per id, so a customer's close would keep
 * a hundred bytes for every line it has read; this keeps two (steps under 16,384).
 *
 * Ids are compared as strings, as a Set would: `u:42` and `u:042` are different ids
 * (only canonical integers, with no leading zero, take the numeric path).
 *
 * @example
 *   const seen = new LineIdSet();
 *   seen.add('u:41'); seen.add('u:42'); seen.add('l:3f2a…');
 *   seen.has('u:42'); // true
 *   seen.has('u:43'); // false
 */
export class LineIdSet {
  readonly #runs = new Map<string, SortedRun>();
  readonly #others = new Set<string>();
  #last: { prefix: string; run: SortedRun } | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `id`; false when it was already in the set. */
  add(id: string): boolean {
    const at = digitsStart(id);
    if (at < 0) return this.#addOther(id);
    const run = this.#runOf(id, at, true) as SortedRun;
    const n = Number(id.slice(at));
    // Above the run's last: new (an id in the other set got there while the run already
    // reached it, and the run's last only grows, so it cannot be this one).
    if (run.last() < n) {
      run.push(n);
      this.#size += 1;
      return true;
    }
    if (run.has(n)) return false;
    return this.#addOther(id);
  }

  has(id: string): boolean {
    const at = digitsStart(id);
    if (at >= 0 && this.#runOf(id, at, false)?.has(Number(id.slice(at)))) return true;
    return this.#others.has(id);
  }

  /** The run of `id`'s prefix (`id.slice(0, at)`); the last one used is found without slicing. */
  #runOf(id: string, at: number, create: boolean): SortedRun | undefined {
    const last = this.#last;
    if (last !== null && last.prefix.length === at && id.startsWith(last.prefix)) return last.run;
    const prefix = id.slice(0, at);
    let run = this.#runs.get(prefix);
    if (run === undefined) {
      if (!create) return undefined;
      this.#runs.set(prefix, (run = new SortedRun()));
    }
    this.#last = { prefix, run };
    return run;
  }

  #addOther(id: string): boolean {
    if (this.#others.has(id)) return false;
    this.#others.add(id);
    this.#size += 1;
    return true;
  }
}

/** Numbers a block holds: a has() decodes at most this many steps after a binary search. */
const BLOCK = 128;

/**
 * Ascending numbers, appended at the end only: in blocks of BLOCK, each its first number
 * and the varint steps after it. A customer's ids are a few hundred apart (other
 * customers' lines come between), so a step takes two bytes where a number takes eight.
 */
class SortedRun {
  #firsts = new Float64Array(4);
  #offsets = new Uint32Array(4);
  #blocks = 0;
  readonly #steps = new VarintBytes();
  #inBlock = 0;
  #last = -1;

  last(): number {
    return this.#last;
  }

  /** n must be above last(). */
  push(n: number): void {
    if (this.#blocks === 0 || this.#inBlock === BLOCK) {
      if (this.#blocks === this.#firsts.length) {
        const firsts = new Float64Array(this.#blocks * 2);
        firsts.set(this.#firsts);
        this.#firsts = firsts;
        const offsets = new Uint32Array(this.#blocks * 2);
        offsets.set(this.#offsets);
        this.#offsets = offsets;
      }
      this.#firsts[this.#blocks] = n;
      this.#offsets[this.#blocks] = this.#steps.byteLength;
      this.#blocks += 1;
      this.#inBlock = 1;
    } else {
      this.#steps.write(n - this.#last);
      this.#inBlock += 1;
    }
    this.#last = n;
  }

  has(n: number): boolean {
    if (this.#blocks === 0 || n > this.#last) return false;
    // The last block starting at or below n.
    let lo = 0;
    let hi = this.#blocks - 1;
    let block = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#firsts[mid] as number) <= n) {
        block = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (block < 0) return false;
    let value = this.#firsts[block] as number;
    const cursor = { at: this.#offsets[block] as number };
    const end = block + 1 < this.#blocks ? (this.#offsets[block + 1] as number) : this.#steps.byteLength;
    while (value < n && cursor.at < end) value += this.#steps.read(cursor);
    return value === n;
  }
}

/**
 * Where the number of an id that is a prefix followed by a canonical non-negative integer
 * below 2^53 starts (`u:42` → 2), else -1. The prefix must be non-empty and the number
 * is all the trailing digits, so every id splits one way only.
 */
function digitsStart(id: string): number {
  let at = id.length;
  while (at > 0) {
    const c = id.charCodeAt(at - 1);
    if (c < 0x30 || c > 0x39) break;
    at -= 1;
  }
  const digits = id.length - at;
  if (at === 0 || digits === 0 || digits > 15) return -1;
  if (digits > 1 && id.charCodeAt(at) === 0x30) return -1;
  return at;
}
