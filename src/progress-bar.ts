/**
 * A one-line progress bar on stderr for long CLI steps; plain lines when stderr is
 * not a terminal (CI logs), never more than one every few seconds.
 */
export class ProgressBar {
  readonly #label: string;
  readonly #tty: boolean;
  #lastPlain = 0;

  constructor(label: string, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#tty = Boolean(stream.isTTY);
  }

  update(done: number, total: number, detail = ''): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const width = 28;
    const filled = Math.round(ratio * width);
    const line = `${this.#label.padEnd(14)} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${detail}`;
    if (this.#tty) {
      process.stderr.write(`\r${line}\u001b[K`);
    } else if (Date.now() - this.#lastPlain > 3000) {
      this.#lastPlain = Date.now();
      process.stderr.write(`${line}\n`);
    }
  }

  done(detail = ''): void {
    const line = `${this.#label.padEnd(14)} [${'#'.repeat(28)}] 100% ${detail}`;
    process.stderr.write(this.#tty ? `\r${line}\u001b[K\n` : `${line}\n`);
  }
}
