/**
 * A set of line ids that costs about 8 bytes per id when ids arrive as the close reads
 * them: a prefix and a number (`u:41`, `u:42`, …) in ascending order per prefix. Those are
 * kept as numbers in one sorted, growing Float64Array per prefix (found by binary search);
 * any other id, or one that arrives out of order, goes to an ordinary Set of strings.
 * A Set of strings holds about 100 bytes per id, so a customer's close would keep a
 * hundred bytes for every line it has read; this keeps eight.
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

/** Ascending numbers, appended at the end only. */
class SortedRun {
  #values = new Float64Array(64);
  #length = 0;

  last(): number {
    return this.#length === 0 ? -1 : (this.#values[this.#length - 1] as number);
  }

  push(n: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length] = n;
    this.#length += 1;
  }

  has(n: number): boolean {
    let lo = 0;
    let hi = this.#length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.#values[mid] as number;
      if (v === n) return true;
      if (v < n) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
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
