/**
 * Integer ids (below 2^53, any order) kept as varint deltas from the one before: a close
 * reads a customer's usage in id order with other customers' lines in between, so
 * consecutive ids differ by a few hundred (under 8,192) and take two bytes instead of a
 * number's eight. Lineage keeps one per source line until the invoice is saved.
 *
 * @example
 *   const ids = new CompactIds();
 *   ids.push(41_000); ids.push(41_187); ids.push(7);
 *   ids.length;    // 3
 *   ids.toArray(); // [41000, 41187, 7]
 */
export class CompactIds {
  #bytes = new Uint8Array(16);
  #used = 0;
  #last = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`CompactIds holds non-negative safe integers, not ${id}`);
    const delta = id - this.#last;
    // The first byte: continuation bit, six bits of the step's size, its sign (a step back
    // costs as little as one forward, and no size goes past 2^53, where numbers stop being exact).
    let size = Math.abs(delta);
    this.#room(9);
    let byte = ((size % 0x40) << 1) | (delta < 0 ? 1 : 0);
    size = Math.floor(size / 0x40);
    while (size > 0) {
      this.#bytes[this.#used++] = byte | 0x80;
      byte = size % 0x80;
      size = Math.floor(size / 0x80);
    }
    this.#bytes[this.#used++] = byte;
    this.#last = id;
    this.#length += 1;
  }

  *[Symbol.iterator](): IterableIterator<number> {
    const bytes = this.#bytes;
    let value = 0;
    let at = 0;
    while (at < this.#used) {
      let byte = bytes[at++] as number;
      const back = byte & 1;
      let size = (byte >> 1) & 0x3f;
      let scale = 0x40;
      while (byte & 0x80) {
        byte = bytes[at++] as number;
        size += (byte & 0x7f) * scale;
        scale *= 0x80;
      }
      value += back ? -size : size;
      yield value;
    }
  }

  toArray(): number[] {
    return [...this];
  }

  /** Bytes held for the ids (what the encoding costs; the buffer may be up to twice this). */
  get byteLength(): number {
    return this.#used;
  }

  #room(bytes: number): void {
    if (this.#used + bytes <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + bytes));
    grown.set(this.#bytes.subarray(0, this.#used));
    this.#bytes = grown;
  }
}
