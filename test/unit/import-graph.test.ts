import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

// Type-only imports count: two modules that need each other's types still cannot be
// understood, moved or tested apart, which is what a layout without cycles is for.
async function importGraph(dir: string) {
  return madge(join(ROOT, dir), {
    fileExtensions: ['ts'],
    tsConfig: join(ROOT, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
}

function countTs(dir: string): number {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).length;
}

describe('the import graph of src/', () => {
  let graph: Awaited<ReturnType<typeof importGraph>>;
  beforeAll(async () => {
    graph = await importGraph('src');
  }, 60_000);

  it('has no cycle', () => {
    expect(graph.circular()).toEqual([]);
  });

  it('reads every module, so an unparsed file cannot hide a cycle', () => {
    expect(Object.keys(graph.obj())).toHaveLength(countTs('src'));
  });

  it('finds a cycle where there is one, type-only imports included', async () => {
    const graph = await importGraph('test/fixtures/import-cycle');
    expect(graph.circular()).toEqual([['a.ts', 'b.ts']]);
  });
});
