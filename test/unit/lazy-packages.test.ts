import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The lazy packages that importing `files` in a fresh Node process loads, each with the module that asked for it. */
function lazyLoadsOf(...files: string[]): Array<{ pkg: string; from: string }> {
  const result = spawnSync(process.execPath, [join(ROOT, 'test/fixtures/lazy-import/start.ts'), ...files.map((f) => join(ROOT, f))], { encoding: 'utf8', cwd: ROOT });
  if (result.status !== 0) throw new Error(`importing ${files.join(', ')} failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as Array<{ pkg: string; from: string }>).map((l) => ({ pkg: l.pkg, from: l.from.replace(`file://${ROOT}/`, '') }));
}

// Each of these costs tens of MB resident to import; the API and the worker start
// without them and load them at first use (src/lazy-import.ts says why).
describe('the packages loaded at first use', () => {
  it('are not loaded by starting the API or the worker', () => {
    expect(lazyLoadsOf('src/server/app.ts', 'src/jobs/worker.ts', 'src/runtime.ts')).toEqual([]);
  }, 60_000);

  it('are reported, with the importing module, when a module imports one at start', () => {
    expect(lazyLoadsOf('test/fixtures/lazy-import/eager.ts')).toEqual([{ pkg: 'pdfkit', from: 'test/fixtures/lazy-import/eager.ts' }]);
  }, 60_000);
});
