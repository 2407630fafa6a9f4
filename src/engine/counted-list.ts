/**
 * How many of a close's per-line findings (untagged, unmapped and off-target lines) a
 * result names. Enough to find the resources and rules to fix, and a bound: a close that
 * streams a customer's month keeps a count of them, not a list as long as the month.
 */
export const LINES_NAMED = 1000;

/**
 * A count of everything added and the first `keep` of it, in the order added.
 *
 * @example
 *   const untagged = new CountedList<string>(2);
 *   for (const id of ['u:1', 'u:2', 'u:3']) untagged.add(id);
 *   untagged.count; // 3
 *   untagged.items; // ['u:1', 'u:2']
 */
export class CountedList<T> {
  count = 0;
  readonly items: T[] = [];
  readonly #keep: number;

  constructor(keep: number = LINES_NAMED) {
    this.#keep = keep;
  }

  /** Counts `count` (a group of lines named by its first), keeping the item while fewer than `keep` are kept. */
  add(item: T, count = 1): void {
    if (this.items.length < this.#keep) this.items.push(item);
    this.count += count;
  }
}
