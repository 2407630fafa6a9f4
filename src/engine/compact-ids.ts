import { VarintBytes } from './varint-bytes.ts';

/**
 * Integer ids (below 2^53, any order) kept as steps from the one before, in varints: a
 * close reads a customer's usage in id order with other customers' lines in between, so
 * consecutive ids differ by a few hundred and take two bytes instead of a number's eight.
 * Lineage keeps one per source line until the invoice is saved.
 *
 * @example
 *   const ids = new CompactIds();
 *   ids.push(41_000); ids.push(41_187); ids.push(7);
 *   ids.length;    // 3
 *   ids.toArray(); // [41000, 41187, 7]
 */
export class CompactIds {
  // A step forward s is written as s + 1; a step back as 0, then its size. No value
  // written goes past 2^53, where numbers stop being exact, and ids seldom go back.
  readonly #steps = new VarintBytes(16);
  #last = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`CompactIds holds non-negative safe integers, not ${id}`);
    const step = id - this.#last;
    if (step >= 0) this.#steps.write(step + 1);
    else {
      this.#steps.write(0);
      this.#steps.write(-step);
    }
    this.#last = id;
    this.#length += 1;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    const cursor = { at: 0 };
    let value = 0;
    while (cursor.at < this.#steps.byteLength) {
      const step = this.#steps.read(cursor);
      value = step === 0 ? value - this.#steps.read(cursor) : value + step - 1;
      yield value;
    }
  }

  toArray(): number[] {
    return [...this];
  }

  /** Bytes held for the ids (what the encoding costs; the buffer may be up to twice this). */
  get byteLength(): number {
    return this.#steps.byteLength;
  }
}
