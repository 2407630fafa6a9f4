import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The console shows only what the public REST API gives (it calls /v1 like an integration
// partner would), so it must not reach into the database, the jobs or the route handlers.
// Allowed: its own modules, the decimal type for sums, Node and npm packages.

const ROOT = resolve(import.meta.dirname, '..', '..', '..', 'src');
const CONSOLE = join(ROOT, 'console');
const ALLOWED_OUTSIDE = new Set(['engine/decimal.ts']);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('the console', () => {
  it('imports nothing of the hub outside src/console but the decimal type', () => {
    const reaching: string[] = [];
    for (const file of files(CONSOLE)) {
      for (const [, spec] of readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
        if (!spec!.startsWith('.')) continue;
        const target = relative(ROOT, resolve(file, '..', spec!));
        if (!target.startsWith('console/') && !ALLOWED_OUTSIDE.has(target)) reaching.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
    expect(files(CONSOLE).length).toBeGreaterThan(5);
    expect(reaching).toEqual([]);
  });
});
