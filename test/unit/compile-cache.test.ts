import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const cacheDir = mkdtempSync(join(tmpdir(), 'hub-compile-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Whether `hub help` (bin/hub.js) loaded Node's type stripper, with the compile cache in cacheDir. */
function helpLoadsStripper(): boolean {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  const result = spawnSync(process.execPath, [join(ROOT, 'test/fixtures/compile-cache/hub-help.mjs')], { encoding: 'utf8', cwd: ROOT, env });
  if (result.status !== 0) throw new Error(`hub help failed: ${result.stderr}`);
  const last = result.stderr.trim().split('\n').at(-1)!;
  return (JSON.parse(last) as { stripper: boolean }).stripper;
}

// The stripper stays loaded for a process's life (bin/hub.js says what it costs): a hub
// started again finds its modules compiled and never loads it.
describe('the hub command with the compile cache', () => {
  it('strips types on its first start only', () => {
    expect(helpLoadsStripper()).toBe(true);
    expect(helpLoadsStripper()).toBe(false);
  }, 120_000);
});
