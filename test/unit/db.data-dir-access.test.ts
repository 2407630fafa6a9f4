import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { canEnter, DataDirAccessError, ensureReachable, type RunAs } from '../../src/db/data-dir-access.ts';

// The checks go by owner, group and mode bits, so they are exercised for a made-up
// user (no uid of this machine) whatever user runs the tests.
const postgres: RunAs = { name: 'postgres', uid: 424242, gids: [424242] };
const made: string[] = [];

async function privateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hub-access-')); // mode 0700, as mktemp -d makes it
  made.push(dir);
  return dir;
}

const modeOf = async (dir: string) => (await stat(dir)).mode & 0o7777;

afterEach(async () => {
  for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('canEnter', () => {
  it('reads the owner, group or others search bit that applies to the user', () => {
    expect(canEnter({ uid: 424242, gid: 1, mode: 0o700 }, postgres)).toBe(true);
    expect(canEnter({ uid: 424242, gid: 1, mode: 0o077 }, postgres)).toBe(false);
    expect(canEnter({ uid: 0, gid: 424242, mode: 0o710 }, postgres)).toBe(true);
    expect(canEnter({ uid: 0, gid: 424242, mode: 0o701 }, postgres)).toBe(false);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o700 }, postgres)).toBe(false);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o701 }, postgres)).toBe(true);
    expect(canEnter({ uid: 0, gid: 0, mode: 0o700 }, { name: 'new', uid: null, gids: [] })).toBe(false);
  });
});

describe('ensureReachable', () => {
  it('stops before PostgreSQL starts when a directory it did not make is closed, naming it and the fix', async () => {
    const outer = await privateDir();
    const dataDir = join(outer, 'hub-data');
    await mkdir(dataDir);
    const error = await ensureReachable(dataDir, postgres, [dataDir]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataDirAccessError);
    expect((error as DataDirAccessError).dir).toBe(outer);
    expect((error as Error).message).toContain(`cannot enter ${outer} (mode 0700`);
    expect((error as Error).message).toContain(`chmod o+x ${outer}`);
    expect((error as Error).message).toContain('HUB_DATA_DIR');
    // The operator's directory is left as it was.
    expect(await modeOf(outer)).toBe(0o700);
  });

  it('opens the directories the hub made (search bit only) and nothing else', async () => {
    const outer = await privateDir();
    await chmod(outer, 0o711);
    const parent = join(outer, 'made-by-hub');
    const dataDir = join(parent, 'data');
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(parent, 0o700);
    await chmod(dataDir, 0o700);
    const opened = await ensureReachable(dataDir, postgres, [parent, dataDir]);
    expect(opened).toEqual([parent, dataDir]);
    expect(await modeOf(parent)).toBe(0o701);
    expect(await modeOf(dataDir)).toBe(0o701);
    expect(await modeOf(outer)).toBe(0o711);
    // Once open, a second start has nothing to do.
    expect(await ensureReachable(dataDir, postgres, [])).toEqual([]);
  });

  it('always counts the data directory itself as the hub’s', async () => {
    const outer = await privateDir();
    await chmod(outer, 0o755);
    const dataDir = join(outer, 'data');
    await mkdir(dataDir, { mode: 0o700 });
    await chmod(dataDir, 0o700);
    expect(await ensureReachable(dataDir, postgres)).toEqual([dataDir]);
    expect(await modeOf(dataDir)).toBe(0o701);
  });
});
