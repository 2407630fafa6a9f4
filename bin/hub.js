#!/usr/bin/env node
// The `hub` command. The CLI is TypeScript run by Node's own type stripping
// (on by default from Node 22.18 / 23.6); older 22.x need the flag, so re-run with it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (process.features.typescript) {
  const { main } = await import(cli);
  process.exit(await main(process.argv.slice(2)));
} else {
  const result = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
