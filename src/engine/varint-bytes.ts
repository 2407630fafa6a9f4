/**
 * A growable run of unsigned varints (seven bits a byte, lowest first, the top bit saying
 * another byte follows), exact for every integer up to 2^53 (arithmetic, not 32-bit
 * bitwise operators). Numbers under 128 take one byte, under 16,384 two. CompactIds and
 * LineIdSet keep their ids as steps in one.
 *
 * @example
 *   const bytes = new VarintBytes();
 *   bytes.write(300); bytes.write(5);
 *   const at = { at: 0 };
 *   bytes.read(at); // 300
 *   bytes.read(at); // 5 (at.at is now 3)
 */
export class VarintBytes {
  #bytes: Uint8Array;
  #used = 0;

  constructor(initialBytes = 64) {
    this.#bytes = new Uint8Array(initialBytes);
  }

  /** Bytes written so far. */
  get byteLength(): number {
    return this.#used;
  }

  /** n: a non-negative safe integer (the caller's to check). */
  write(n: number): void {
    if (this.#used + 8 > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + 8));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    while (n >= 0x80) {
      this.#bytes[this.#used++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.#bytes[this.#used++] = n;
  }

  /** The varint starting at `cursor.at`; moves the cursor past it (one cursor per scan, no allocation per read). */
  read(cursor: { at: number }): number {
    const bytes = this.#bytes;
    let n = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = bytes[cursor.at++] as number;
      n += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte & 0x80);
    return n;
  }
}
