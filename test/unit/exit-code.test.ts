import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// A process that loads the embedded PostgreSQL must keep its own exit code: a failing
// test run that exits 0 would let CI land broken code.
describe('exit codes', () => {
  it('survive loading the embedded PostgreSQL module', () => {
    const script = `import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'db', 'embedded-postgres.ts'))}).then(() => { process.exitCode = 3; });`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(3);
  });
});
