/**
 * A per-attempt timeout that can be restarted. `AbortSignal.timeout` cannot be
 * reset or cancelled, and a streamed blob needs an idle timeout (no bytes for N ms)
 * rather than a cap on the whole download.
 *
 * @example
 * const deadline = new Deadline(30_000);
 * try { await fetch(url, { signal: deadline.signal }); } finally { deadline.clear(); }
 */
export class Deadline {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;

  constructor(ms: number) {
    this.#ms = ms;
    this.restart();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timedOut(): boolean {
    return this.#timedOut;
  }

  restart(): void {
    if (this.#controller.signal.aborted) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#controller.abort(new DOMException(`no response within ${this.#ms} ms`, 'TimeoutError'));
    }, this.#ms);
  }

  /** Aborts the request for a reason other than time, e.g. the reader walked away. */
  cancel(reason: unknown): void {
    this.clear();
    this.#controller.abort(reason);
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
