import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Handing V8's pooled heap pages back to the OS while a long job runs.
 *
 * V8 keeps the pages a full collection frees resident, for the heap to grow into again,
 * and returns them only on a memory-reducing collection: memory pressure, the memory
 * reducer once the process idles, or --optimize-for-size. A busy close has none of
 * these, so its resident memory is the highest its heap has ever been, and a longer
 * close climbs higher than a short one although it holds no more.
 *
 * So a close starts by releasing (`release()`), and checks between batches
 * (`check(allowanceMb)`): when resident memory is more than the allowance above the
 * least it has been, one memory-reducing collection (V8's last-resort full collection,
 * the one a low-memory notification runs) frees what the heap does not use. The least
 * is the process's own baseline, not where the last release happened to land, so the
 * ceiling does not drift up with the number of releases. Should a release leave memory
 * above half the allowance (the process holds more now), the baseline moves up to it
 * rather than releasing at every check. Memory is the process's, so the state is too.
 *
 * What a check cannot see is how far memory rises between two checks: the other
 * worker's batch, saving an invoice, an API response, the release's own compaction (it
 * copies live objects to fresh pages before it frees the old ones). A longer close meets
 * more of these near the ceiling, so its peak would climb with its length. The process's
 * own high-water mark (getrusage) says how far they went: a check releases that much
 * below the ceiling (at most an eighth of the allowance), so a later burst no larger than
 * the ones seen lands no higher than the peak already reached (a larger one still raises
 * it, by less). Overshoot is counted above the peak the process had before its first
 * check: a peak it had already reached (an ingestion, the start) is not the checks' to avoid.
 */

/** The gc() V8's gc extension installs: `flavor: 'last-resort'` is the memory-reducing one. */
export type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/**
 * The memory-reducing collection, or null where this runtime offers none. Without
 * --expose-gc, the flag is turned on only while one new context is made: that context's
 * gc() collects the whole isolate, and no other context gains a gc global.
 */
function findGc(): GcFunction | null {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as GcFunction;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('typeof gc === "function" ? gc : undefined');
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

export interface HeapReleaseResult {
  rssBeforeMb: number;
  rssAfterMb: number;
  ms: number;
}

const MB = 2 ** 20;

export interface HeapReleaseOptions {
  /** Resident memory in bytes (default: the process's). */
  rss?: () => number;
  /** The highest resident memory so far in bytes (default: the process's, getrusage's ru_maxrss). */
  peakRss?: () => number;
  /** The collection to run (default: V8's memory-reducing one, found on first use). */
  gc?: GcFunction | null;
}

export class HeapRelease {
  #gc: GcFunction | null | undefined;
  readonly #rss: () => number;
  readonly #peakRss: () => number;
  /** The least resident memory (bytes) seen at a check or after a release. */
  #baseline: number | undefined;
  /** The process's peak (bytes) when the baseline was first taken: overshoot counts above it. */
  #peakBefore = 0;
  /** Releases so far, and the milliseconds they took (benchmarks and tests read them). */
  releases = 0;
  releaseMs = 0;
  /** Releases during which the process's peak rose (their own compaction), and by how much in all (bytes). */
  peakRaisingReleases = 0;
  peakRaisedBytes = 0;

  constructor(options: HeapReleaseOptions = {}) {
    this.#rss = options.rss ?? process.memoryUsage.rss;
    this.#peakRss = options.peakRss ?? (() => process.resourceUsage().maxRSS * 1024);
    this.#gc = options.gc;
  }

  /** The least resident memory seen, in MB (null before the first check or release). */
  get baselineMb(): number | null {
    return this.#baseline === undefined ? null : Math.round(this.#baseline / MB);
  }

  /**
   * Where a check with this allowance releases, in bytes: the ceiling (baseline plus
   * allowance), less how far the process has been above it, by at most an eighth of the
   * allowance: a release lands ~10 MB above the baseline and the young generation takes
   * ~16 MB back within a second, so every MB taken off the allowance costs releases. With
   * a quarter, one rare 18 MB burst left a 6 M close releasing 339 times (3.15 × COPY);
   * with half and twice the overshoot, 828 times (README, "memory").
   */
  #trigger(allowance: number): number {
    const ceiling = (this.#baseline as number) + allowance;
    const overshoot = this.#peakRss() - Math.max(ceiling, this.#peakBefore);
    return ceiling - Math.min(Math.max(overshoot, 0), allowance / 8);
  }

  /** Where the next check releases, in MB (null before the first check or release). */
  triggerMb(allowanceMb: number): number | null {
    return this.#baseline === undefined ? null : Math.round(this.#trigger(allowanceMb * MB) / MB);
  }

  /** Whether this runtime can release at all (found on first use). */
  get available(): boolean {
    if (this.#gc === undefined) this.#gc = findGc();
    return this.#gc !== null;
  }

  /**
   * Release when resident memory is more than `allowanceMb` above the baseline, less the
   * overshoot seen so far; null never releases. Cheap enough to call per batch: a read of
   * the RSS and of the peak.
   */
  check(allowanceMb: number | null): HeapReleaseResult | null {
    if (allowanceMb === null) return null;
    const rss = this.#rss();
    if (this.#baseline === undefined || rss < this.#baseline) {
      this.#setBaseline(rss);
      return null;
    }
    if (rss <= this.#trigger(allowanceMb * MB)) return null;
    const baseline = this.#baseline;
    const released = this.#collect();
    if (released && released.after - baseline > (allowanceMb * MB) / 2) this.#baseline = released.after;
    return released && inMb(released);
  }

  #setBaseline(bytes: number): void {
    if (this.#baseline === undefined) this.#peakBefore = this.#peakRss();
    this.#baseline = bytes;
  }

  /** One memory-reducing collection now; null where the runtime has none. */
  release(): HeapReleaseResult | null {
    const released = this.#collect();
    return released && inMb(released);
  }

  /** The collection, in bytes; the baseline becomes the least of it and what it leaves. */
  #collect(): { before: number; after: number; ms: number } | null {
    if (!this.available) return null;
    const before = this.#rss();
    const peakBefore = this.#peakRss();
    const started = performance.now();
    this.#gc!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    const ms = performance.now() - started;
    const after = this.#rss();
    const raised = this.#peakRss() - peakBefore;
    if (raised > 0) {
      this.peakRaisingReleases += 1;
      this.peakRaisedBytes += raised;
    }
    this.#setBaseline(this.#baseline === undefined ? after : Math.min(this.#baseline, after));
    this.releases += 1;
    this.releaseMs += ms;
    return { before, after, ms };
  }
}

function inMb({ before, after, ms }: { before: number; after: number; ms: number }): HeapReleaseResult {
  return { rssBeforeMb: Math.round(before / MB), rssAfterMb: Math.round(after / MB), ms: Math.round(ms) };
}

/** The process's one instance. */
export const heapRelease = new HeapRelease();
