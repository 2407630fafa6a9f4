import { describe, expect, it } from 'vitest';
import { HeapRelease, type GcFunction } from '../../src/jobs/heap-release.ts';

const MB = 2 ** 20;

/**
 * A resident-memory reading the test sets (MB), a high-water mark (the highest reading,
 * or higher where a test sets a burst between readings) and a collection that records its
 * calls and leaves `afterGcMb`.
 */
function fakes(rssMb: number) {
  const state = { rssMb, peakMb: rssMb, afterGcMb: 0, gcCalls: [] as unknown[] };
  const gc: GcFunction = (options) => {
    state.gcCalls.push(options);
    state.rssMb = state.afterGcMb;
  };
  const rss = () => {
    state.peakMb = Math.max(state.peakMb, state.rssMb);
    return state.rssMb * MB;
  };
  return { state, options: { rss, peakRss: () => Math.max(state.peakMb, state.rssMb) * MB, gc } };
}

describe('HeapRelease (handing pooled heap pages back during a close)', () => {
  it('releases once resident memory is more than the allowance above the least it has been', () => {
    const { state, options } = fakes(200);
    const release = new HeapRelease(options);
    expect(release.baselineMb).toBeNull();
    expect(release.check(64)).toBeNull(); // the first reading is the baseline
    expect(release.baselineMb).toBe(200);
    state.rssMb = 264;
    expect(release.check(64)).toBeNull(); // exactly the allowance: not more
    state.rssMb = 265;
    state.afterGcMb = 190;
    expect(release.check(64)).toEqual({ rssBeforeMb: 265, rssAfterMb: 190, ms: expect.any(Number) });
    expect(state.gcCalls).toEqual([{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
    // The release went below the baseline: 190 is the least now, and the ceiling 254. The
    // process has been at 265, 11 above it: the next release comes sooner, by at most 8 MB.
    expect(release.baselineMb).toBe(190);
    expect(release.triggerMb(64)).toBe(246);
    state.rssMb = 246;
    expect(release.check(64)).toBeNull();
    state.rssMb = 247;
    expect(release.check(64)).not.toBeNull();
    expect(release.releases).toBe(2);
  });

  it('keeps its ceiling where the baseline is, not where the last release landed', () => {
    const { state, options } = fakes(180);
    const release = new HeapRelease(options);
    release.check(64);
    state.rssMb = 250;
    state.afterGcMb = 200; // within half the allowance of the baseline
    expect(release.check(64)).not.toBeNull();
    state.rssMb = 245; // 65 above 180, though only 45 above where the release landed
    expect(release.check(64)).not.toBeNull();
    expect(release.releases).toBe(2);
  });

  it('moves the baseline up when a release cannot get near it, rather than releasing at every check', () => {
    const { state, options } = fakes(180);
    const release = new HeapRelease(options);
    release.check(64);
    state.rssMb = 300;
    state.afterGcMb = 260; // the process holds more now
    expect(release.check(64)).not.toBeNull();
    expect(release.baselineMb).toBe(260);
    state.rssMb = 300;
    expect(release.check(64)).toBeNull();
    state.rssMb = 325;
    expect(release.check(64)).not.toBeNull();
    expect(release.releases).toBe(2);
  });

  it('takes the baseline from a release made before any check, and never releases when off', () => {
    const { state, options } = fakes(400);
    const release = new HeapRelease(options);
    state.afterGcMb = 170;
    expect(release.release()).toEqual({ rssBeforeMb: 400, rssAfterMb: 170, ms: expect.any(Number) });
    state.rssMb = 234;
    expect(release.check(64)).toBeNull();
    state.rssMb = 235;
    expect(release.check(null)).toBeNull();
    expect(release.releases).toBe(1);
  });

  it('releases below the ceiling by as far as memory went past it between checks, so a later burst lands no higher', () => {
    const { state, options } = fakes(120);
    const release = new HeapRelease(options);
    release.check(64); // baseline 120: the ceiling is 184
    state.rssMb = 180;
    expect(release.check(64)).toBeNull();
    expect(release.triggerMb(64)).toBe(184);
    state.peakMb = 190; // a burst between two checks went 6 above the ceiling
    state.rssMb = 181;
    expect(release.triggerMb(64)).toBe(178);
    state.afterGcMb = 130;
    expect(release.check(64)).toEqual({ rssBeforeMb: 181, rssAfterMb: 130, ms: expect.any(Number) });
    // The next cycle releases above 178: a burst of 12 from there stays under the peak (190).
    state.rssMb = 178;
    expect(release.check(64)).toBeNull();
    state.rssMb = 179;
    expect(release.check(64)).not.toBeNull();
    // However far a burst went, the trigger stays at least seven eighths of the allowance above the baseline.
    state.peakMb = 400;
    expect(release.triggerMb(64)).toBe(176);
    expect(release.releases).toBe(2);
  });

  it("counts overshoot only above the peak the process had reached before its first check", () => {
    const { state, options } = fakes(250); // an ingestion left the process's peak at 250
    const release = new HeapRelease(options);
    state.afterGcMb = 120;
    release.release(); // baseline 120, ceiling 184
    state.peakMb = 240; // higher than the ceiling, but not than the process had been
    expect(release.triggerMb(64)).toBe(184);
    state.peakMb = 256; // 6 above the earlier peak
    expect(release.triggerMb(64)).toBe(178);
  });

  it('does nothing where the runtime has no memory-reducing collection', () => {
    const { state, options } = fakes(100);
    const release = new HeapRelease({ ...options, gc: null });
    expect(release.available).toBe(false);
    release.check(0);
    state.rssMb = 500;
    expect(release.check(0)).toBeNull();
    expect(release.release()).toBeNull();
    expect(release.releases).toBe(0);
  });

  it("hands this process's freed heap pages back to the OS (the real collection)", () => {
    const release = new HeapRelease();
    expect(release.available).toBe(true);
    // Churn: 40 rounds of short-lived objects, a few rounds alive at a time, so full
    // collections free many pages, which V8 then keeps resident in its pool.
    let alive: { n: number; s: string }[][] = [];
    for (let round = 0; round < 40; round++) {
      alive.push(Array.from({ length: 250_000 }, (_, n) => ({ n, s: `line ${n}` })));
      if (alive.length > 3) alive.shift();
    }
    alive = [];
    expect(alive).toHaveLength(0);
    const released = release.release();
    expect(released).not.toBeNull();
    expect(released!.rssBeforeMb - released!.rssAfterMb).toBeGreaterThan(40);
    // No gc global leaks into the test's own context.
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });

  it('counts the releases whose own collection raised the process peak, and by how much', () => {
    const { state, options } = fakes(100);
    const gc: GcFunction = (o) => {
      // The compaction copies live objects to fresh pages before it frees the old ones.
      state.peakMb = Math.max(state.peakMb, state.rssMb + 6);
      options.gc(o);
    };
    const release = new HeapRelease({ ...options, gc });
    release.check(64);
    state.rssMb = 170;
    state.afterGcMb = 110;
    expect(release.check(64)).not.toBeNull();
    expect(release.peakRaisingReleases).toBe(1);
    expect(release.peakRaisedBytes).toBe(6 * MB);
    // A release whose burst stays below the peak already reached raises nothing.
    state.rssMb = 165;
    state.afterGcMb = 105;
    expect(release.check(64)).not.toBeNull();
    expect(release.releases).toBe(2);
    expect(release.peakRaisingReleases).toBe(1);
  });
});
