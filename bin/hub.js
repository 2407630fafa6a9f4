#!/usr/bin/env node
// The `hub` command. The CLI is TypeScript run by Node's own type stripping
// (on by default from Node 22.18 / 23.6); older 22.x need the flag, so re-run with it.
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node strips types with a WebAssembly compiler it loads at the first .ts module and keeps
// for the process's life (about 20 MB resident, 4 MB of it V8 heap). The compile cache
// keeps each module's stripped and compiled code, keyed by its content, so a process whose
// modules are all cached never loads that compiler. Enabled here, before the first .ts
// module; NODE_COMPILE_CACHE names the directory (default: the OS temp dir), and
// NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (process.features.typescript) {
  const { main } = await import(cli);
  process.exit(await main(process.argv.slice(2)));
} else {
  const result = spawnSync(process.execPath, ['--experimental-strip-types', '--no-warnings', cli, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
